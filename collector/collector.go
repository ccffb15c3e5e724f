// Package collector turns the host model of package kmod into Prometheus
// metrics, one file per collector, in node_exporter's pattern: each
// collector can be switched with --[no-]collector.NAME, builds constant
// metrics from fresh reads at scrape time, and reports its own success and
// duration so one failing collector never fails the scrape.
package collector

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

const namespace = "kmod"

var (
	scrapeDurationDesc = newDesc("scrape", "collector_duration_seconds",
		"How long a collector took to read the host, in seconds.", "collector")
	scrapeSuccessDesc = newDesc("scrape", "collector_success",
		"1 if the collector read everything it needs from the host, 0 if part of it failed (the log says which file).", "collector")
)

// Options are what every collector is built from.
type Options struct {
	Host *kmod.Host
	// Requirements returns the configured requirements; it is called at
	// every scrape so a reloaded configuration takes effect at once.
	Requirements func() Requirements
}

// Requirements are the modules the user's configuration requires.
type Requirements = kmod.RequirementSpec

// explicitRuleset reports whether a ruleset path was configured rather than
// one of the standard places, where a missing file is normal.
func explicitRuleset(p string) bool { return !slices.Contains(kmod.DefaultRulesets, p) }

// Requirement is one required name and why it is required.
type Requirement = kmod.Requirement

// Collector reads one part of the host, through the scrape's view of it
// (nil when the exporter was built without a host), and adds what it found
// to out.
type Collector interface {
	Update(host *kmod.View, out *Sink) error
}

type factory func(Options, log.Logger) Collector

var (
	factories      = map[string]factory{}
	collectorState = map[string]*bool{}
)

func registerCollector(name string, enabledByDefault bool, f factory) {
	def := "false"
	if enabledByDefault {
		def = "true"
	}
	help := fmt.Sprintf("Enable the %s collector (default: %s).", name, map[bool]string{true: "enabled", false: "disabled"}[enabledByDefault])
	collectorState[name] = kingpin.Flag("collector."+name, help).Default(def).Bool()
	factories[name] = f
}

// Names lists every collector, sorted.
func Names() []string { return slices.Sorted(maps.Keys(factories)) }

// KmodCollector runs the enabled collectors at each scrape.
type KmodCollector struct {
	host       *kmod.Host
	collectors map[string]Collector
	names      []string // of the collectors, sorted: the order they run in
	hints      []sizeHint
	families   familyCache
	logger     log.Logger
}

// sizeHint is how many series and label values a collector produced last.
type sizeHint struct{ samples, labels atomic.Int32 }

// New builds the collectors enabled by flags, or exactly the named ones when
// names are given (tests and tools).
func New(opts Options, logger log.Logger, names ...string) (*KmodCollector, error) {
	if len(names) == 0 {
		for n, on := range collectorState {
			if *on {
				names = append(names, n)
			}
		}
	}
	kc := &KmodCollector{host: opts.Host, collectors: map[string]Collector{}, logger: logger}
	for _, n := range names {
		f, ok := factories[n]
		if !ok {
			return nil, fmt.Errorf("unknown collector %q (have %v)", n, Names())
		}
		kc.collectors[n] = f(opts, log.With(logger, "collector", n))
	}
	kc.names = slices.Sorted(maps.Keys(kc.collectors))
	kc.hints = make([]sizeHint, len(kc.names))
	return kc, nil
}

// NewFromCollectors runs the given collectors (by name) instead of the
// registered ones: for programs that embed the exporter's framework. host
// may be nil.
func NewFromCollectors(host *kmod.Host, collectors map[string]Collector, logger log.Logger) *KmodCollector {
	return &KmodCollector{host: host, collectors: collectors, names: slices.Sorted(maps.Keys(collectors)), hints: make([]sizeHint, len(collectors)), logger: logger}
}

// Describe sends nothing: which series exist depends on the host at scrape
// time, so this is an unchecked collector and the registry checks each
// scrape's metrics for consistency instead.
func (kc *KmodCollector) Describe(chan<- *prometheus.Desc) {}

// Collect runs every collector and sends their series as constant metrics,
// for programs that register the collectors in their own registry. The
// exporter itself serves Gather's families, which skip that conversion.
func (kc *KmodCollector) Collect(ch chan<- prometheus.Metric) {
	for _, sink := range kc.run(time.Time{}) {
		for i := range sink.samples {
			smp := &sink.samples[i]
			ch <- prometheus.MustNewConstMetric(smp.desc.promDesc(), smp.desc.valueType(), smp.value, sink.labelsOf(smp)...)
		}
	}
}

// Gather runs every collector and returns their series as metric families,
// sorted and checked as a prometheus.Registry would.
func (kc *KmodCollector) Gather() ([]*dto.MetricFamily, error) {
	return kc.families.build(kc.run(time.Time{}))
}

// Within is the collectors bounded by a deadline, for one scrape.
func (kc *KmodCollector) Within(deadline time.Time) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return kc.families.build(kc.run(deadline))
	})
}

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
	var view *kmod.View
	if kc.host != nil {
		view = kc.host.View()
		defer view.Release()
	}
	names := kc.names
	if len(names) == 0 {
		return nil
	}
	// Workers record results here and signal once, when the last is in:
	// one wake-up per scrape, not one per collector.
	var (
		mu        sync.Mutex
		results   = make([]*result, len(names))
		finished  int
		abandoned bool
		next      atomic.Int32
		done      = make(chan struct{})
	)
	// Each worker holds the view until it returns: a collector still running
	// after the deadline keeps its directory handles open.
	work := func() {
		if view != nil {
			defer view.Release()
		}
		for {
			i := int(next.Add(1)) - 1
			if i >= len(names) {
				return
			}
			mu.Lock()
			stop := abandoned
			mu.Unlock()
			if stop {
				return
			}
			// Sized as this collector's last scrape was, with room for its
			// success and duration, so the slices do not grow as it adds.
			hint := &kc.hints[i]
			sink := &Sink{samples: make([]sample, 0, hint.samples.Load()+2), labels: make([]string, 0, hint.labels.Load()+2)}
			start := time.Now()
			err := kc.collectors[names[i]].Update(view, sink)
			hint.samples.Store(int32(len(sink.samples)))
			hint.labels.Store(int32(len(sink.labels)))
			r := &result{names[i], sink, err, time.Since(start)}
			mu.Lock()
			if !abandoned {
				results[i] = r
				finished++
				if finished == len(names) {
					close(done)
				}
			}
			mu.Unlock()
		}
	}
	start := func() {
		if view != nil {
			view.Retain()
		}
		go work()
	}
	start()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	stall := time.NewTimer(stallAfter)
	defer stall.Stop()
	seen := 0
wait:
	for {
		select {
		case <-done:
			break wait
		case <-stall.C:
			mu.Lock()
			moved := finished != seen
			seen = finished
			mu.Unlock()
			if !moved {
				start() // the running collector is slow: start the rest beside it
			}
			stall.Reset(stallAfter)
		case <-timeout:
			mu.Lock()
			abandoned = true
			mu.Unlock()
			break wait
		}
	}
	// From here on results is only read: a late worker sees abandoned.
	sinks := make([]*Sink, 0, len(names)+1)
	var late *Sink
	elapsed := time.Since(begin)
	for i, r := range results {
		if r == nil {
			if late == nil {
				late = &Sink{}
			}
			kc.report(late, names[i], elapsed, fmt.Errorf("did not finish within the scrape timeout (%s)", elapsed.Round(time.Millisecond)))
			continue
		}
		kc.report(r.sink, r.name, r.duration, r.err)
		sinks = append(sinks, r.sink)
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

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// joinErrs keeps the first few errors so a log line stays readable.
func joinErrs(errs []error) error {
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("and %d more", len(errs)-5))
	}
	return errors.Join(errs...)
}
