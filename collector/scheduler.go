package collector

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log/level"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

var (
	scrapeDurationDesc = newDesc("scrape", "collector_duration_seconds",
		"How long a collector took to read the host, in seconds.", "collector")
	scrapeSuccessDesc = newDesc("scrape", "collector_success",
		"1 if the collector read everything it needs from the host, 0 if part of it failed (the log says which file).", "collector")
)

// result is what one collector produced.
type result struct {
	name     string
	sink     *Sink
	err      error
	duration time.Duration
}

// stallAfter is how long one collector may run before the collectors after
// it are started beside it instead of after it. Warm collectors take well
// under a millisecond, and running them one after another in one goroutine
// saves the thread wake-ups that starting them all at once costs (a fifth
// of a warm scrape, measured); a collector stuck on a hung filesystem holds
// the others back by this much at most.
const stallAfter = 50 * time.Millisecond

// run runs the collectors, one after another in a worker goroutine (more
// when one stalls, see stallAfter), and returns what those that finish by
// the deadline produced (no deadline: wait for all), each followed by its
// success and duration, plus one sink reporting those not finished at the
// deadline with success 0 (each logged by name); whatever they produce
// later is dropped.
func (kc *KmodCollector) run(deadline time.Time) []*Sink {
	begin := time.Now()
	sc := newScrape(kc.host)
	defer sc.release()
	if len(kc.names) == 0 {
		return nil
	}
	r := &scrapeRun{kc: kc, sc: sc, results: make([]*result, len(kc.names)), done: make(chan struct{})}
	r.start()
	if r.wait(deadline) {
		// No collector is left to use the module snapshot: end it now, as
		// the scrape ends, rather than when the last worker returns.
		sc.modules.done()
	}
	return append(r.sinks(time.Since(begin)), hostReadable(sc))
}

// filesystemReader is a collector that reads only some of the host's
// filesystems (kmod.Procfs, Sysfs, Rootfs); the others read all three.
type filesystemReader interface{ filesystems() []string }

// blindFor says why a collector cannot see the host: a filesystem it reads
// is not the host's (see kmod.View.Blind).
func blindFor(sc *scrape, c Collector) error {
	if sc.view == nil {
		return nil
	}
	reads := []string{kmod.Procfs, kmod.Sysfs, kmod.Rootfs}
	if r, ok := c.(filesystemReader); ok {
		reads = r.filesystems()
	}
	for _, b := range sc.view.Blind() {
		if slices.Contains(reads, b.Filesystem) {
			return fmt.Errorf("cannot see the host: --path.%s=%s %s", b.Filesystem, b.Path, b.Reason)
		}
	}
	return nil
}

var hostReadableDesc = newDesc("exporter", "host_readable",
	"1 per filesystem the exporter reads the host through (--path.procfs, --path.sysfs, --path.rootfs) when it shows a host; 0 with the reason when it does not (a path that does not exist, a procfs without sys/kernel/osrelease, a root with no /lib/modules while the kernel has modules loaded): the exporter's configuration is wrong, and the collectors that read it report success 0.", "filesystem", "path", "reason")

// hostReadable reports, for each filesystem, whether it shows a host.
func hostReadable(sc *scrape) *Sink {
	out := &Sink{}
	if sc.view == nil {
		return out
	}
	blind := sc.view.Blind()
	for _, fsys := range []string{kmod.Procfs, kmod.Sysfs, kmod.Rootfs} {
		i := slices.IndexFunc(blind, func(b kmod.Blindness) bool { return b.Filesystem == fsys })
		if i < 0 {
			out.Add(hostReadableDesc, 1, fsys, sc.view.Path(fsys), "")
			continue
		}
		out.Add(hostReadableDesc, 0, fsys, blind[i].Path, blind[i].Reason)
	}
	return out
}

// scrapeRun is one run of the collectors. Workers record results here and
// signal once, when the last is in: one wake-up per scrape, not one per
// collector.
type scrapeRun struct {
	kc *KmodCollector
	sc *scrape

	mu        sync.Mutex
	results   []*result
	finished  int
	abandoned bool
	next      atomic.Int32
	done      chan struct{}
}

// start starts one more worker. Each worker holds the scrape until it
// returns: a collector still running after the deadline keeps its
// directory handles open.
func (r *scrapeRun) start() {
	r.sc.retain()
	go r.work()
}

// work runs the collectors not yet taken, one after another.
func (r *scrapeRun) work() {
	defer r.sc.release()
	for {
		i := int(r.next.Add(1)) - 1
		if i >= len(r.results) {
			return
		}
		r.mu.Lock()
		stop := r.abandoned
		r.mu.Unlock()
		if stop {
			return
		}
		res := r.kc.update(i, r.sc)
		r.mu.Lock()
		if !r.abandoned {
			r.results[i] = res
			r.finished++
			if r.finished == len(r.results) {
				close(r.done)
			}
		}
		r.mu.Unlock()
	}
}

// update runs the i-th collector into a sink sized as its last scrape's
// was, with room for its success and duration, so the slices do not grow as
// it adds.
func (kc *KmodCollector) update(i int, sc *scrape) *result {
	hint := &kc.hints[i]
	sink := sinks.Get().(*Sink)
	sink.samples = slices.Grow(sink.samples, int(hint.samples.Load())+2)
	sink.labels = slices.Grow(sink.labels, int(hint.labels.Load())+2)
	start := time.Now()
	if err := blindFor(sc, kc.collectors[kc.names[i]]); err != nil {
		// What it would read is not the host: its series would blame the
		// host for the exporter's paths.
		return &result{kc.names[i], sink, err, time.Since(start)}
	}
	var err error
	switch c := kc.collectors[kc.names[i]].(type) {
	case scrapeCollector:
		err = c.update(sc, sink)
	default:
		err = c.Update(sc.view, sink)
	}
	hint.samples.Store(int32(len(sink.samples)))
	hint.labels.Store(int32(len(sink.labels)))
	return &result{kc.names[i], sink, err, time.Since(start)}
}

// sinks hold collectors' series between scrapes: a scrape's families are
// built from them and keep nothing of them (labels are copied), so their
// arrays serve the next scrape instead of being allocated anew (a tenth of
// a warm scrape's allocations).
var sinks = sync.Pool{New: func() any { return new(Sink) }}

// releaseSinks hands back the sinks of finished collectors once their
// families are built. A collector still running past the deadline keeps
// its own: it is not among them.
func releaseSinks(done []*Sink) {
	for _, s := range done {
		clear(s.labels) // let the strings go
		s.samples, s.labels = s.samples[:0], s.labels[:0]
		sinks.Put(s)
	}
}

// wait waits for every collector, or until the deadline (none: no limit),
// starting another worker whenever the running ones made no progress for
// stallAfter. It reports whether all finished.
func (r *scrapeRun) wait(deadline time.Time) bool {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	stall := time.NewTimer(stallAfter)
	defer stall.Stop()
	seen := 0
	for {
		select {
		case <-r.done:
			return true
		case <-stall.C:
			r.mu.Lock()
			moved := r.finished != seen
			seen = r.finished
			r.mu.Unlock()
			if !moved {
				r.start() // the running collector is slow: start the rest beside it
			}
			stall.Reset(stallAfter)
		case <-timeout:
			r.mu.Lock()
			r.abandoned = true
			r.mu.Unlock()
			return false
		}
	}
}

// sinks are the finished collectors' sinks, each with its success and
// duration, then one reporting those not finished after elapsed.
func (r *scrapeRun) sinks(elapsed time.Duration) []*Sink {
	// From here on results is only read: a late worker sees abandoned.
	sinks := make([]*Sink, 0, len(r.results)+1)
	var late *Sink
	for i, res := range r.results {
		if res == nil {
			if late == nil {
				late = &Sink{}
			}
			r.kc.report(late, r.kc.names[i], elapsed, fmt.Errorf("did not finish within the scrape timeout (%s)", elapsed.Round(time.Millisecond)))
			continue
		}
		r.kc.report(res.sink, res.name, res.duration, res.err)
		sinks = append(sinks, res.sink)
	}
	if late != nil {
		sinks = append(sinks, late)
	}
	return sinks
}

func (kc *KmodCollector) report(out *Sink, name string, duration time.Duration, err error) {
	success := 1.0
	if err != nil {
		success = 0
		level.Error(kc.logger).Log("msg", "collector failed", "collector", name, "duration_seconds", duration.Seconds(), "err", err)
	} else {
		level.Debug(kc.logger).Log("msg", "collector succeeded", "collector", name, "duration_seconds", duration.Seconds())
	}
	out.Add(scrapeDurationDesc, duration.Seconds(), name)
	out.Add(scrapeSuccessDesc, success, name)
}
