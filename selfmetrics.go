package main

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// selfReuse is how long a reading of the exporter's own metrics (the Go
// runtime's and the process's) serves again. Reading them makes a dozen
// system calls and allocates for 40 series: an eighth of the exporter's
// CPU when ten clients scraped at once, each round of scrapes reading
// them anew (docs/benchmarks.md). No Prometheus scrapes this often, so
// each of its scrapes still reads them; scrapes in a burst share a
// reading. The host is read anew for every scrape.
const selfReuse = 250 * time.Millisecond

// readAtMostEvery collects c at most once every d and sends the same
// metrics until then, so the static gatherer finds its series unchanged
// and the handler its encoding kept.
type readAtMostEvery struct {
	c     prometheus.Collector
	every time.Duration
	now   func() time.Time // time.Now but for tests

	mu   sync.Mutex
	at   time.Time
	last []prometheus.Metric
}

// selfCollectors are the Go and process collectors, each read at most
// every selfReuse.
func selfCollectors() []prometheus.Collector {
	return []prometheus.Collector{reusedFor(newGoCollector(), selfReuse), reusedFor(newProcessCollector(), selfReuse)}
}

func reusedFor(c prometheus.Collector, d time.Duration) *readAtMostEvery {
	return &readAtMostEvery{c: c, every: d, now: time.Now}
}

func (r *readAtMostEvery) Describe(ch chan<- *prometheus.Desc) { r.c.Describe(ch) }

func (r *readAtMostEvery) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r.reading() {
		ch <- m
	}
}

// reading is the last reading, or a new one once it is d old (or the
// clock went back). Its slice is never modified: scrapes may be sending
// from it while the next reading is made.
func (r *readAtMostEvery) reading() []prometheus.Metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); r.last == nil || now.Before(r.at) || now.Sub(r.at) >= r.every {
		n := len(r.last)
		r.last = nil // a collector that panics leaves nothing to send again
		r.last, r.at = collectAll(r.c, n), now
	}
	return r.last
}

// collectAll is what c collects; size is how many it collected last.
func collectAll(c prometheus.Collector, size int) []prometheus.Metric {
	ch := make(chan prometheus.Metric, size)
	out := make(chan []prometheus.Metric, 1)
	go func() {
		ms := make([]prometheus.Metric, 0, size)
		for m := range ch {
			ms = append(ms, m)
		}
		out <- ms
	}()
	func() {
		defer close(ch)
		c.Collect(ch)
	}()
	return <-out
}
