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
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

const namespace = "kmod"

var (
	scrapeDurationDesc = prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "scrape", "collector_duration_seconds"),
		"How long a collector took to read the host, in seconds.",
		[]string{"collector"}, nil)
	scrapeSuccessDesc = prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "scrape", "collector_success"),
		"1 if the collector read everything it needs from the host, 0 if part of it failed (the log says which file).",
		[]string{"collector"}, nil)
)

// Options are what every collector is built from.
type Options struct {
	Host *kmod.Host
	// Requirements returns the configured requirements; it is called at
	// every scrape so a reloaded configuration takes effect at once.
	Requirements func() Requirements
	// ProcPath is the host's /proc, for the collectors that read it directly.
	ProcPath string
}

// Requirements are the modules the user's configuration requires.
type Requirements = kmod.RequirementSpec

// explicitRuleset reports whether a ruleset path was configured rather than
// one of the standard places, where a missing file is normal.
func explicitRuleset(p string) bool { return !slices.Contains(kmod.DefaultRulesets, p) }

// Requirement is one required name and why it is required.
type Requirement = kmod.Requirement

// Collector reads one part of the host.
type Collector interface {
	Update(ch chan<- prometheus.Metric) error
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
	collectors map[string]Collector
	logger     log.Logger
}

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
	kc := &KmodCollector{collectors: map[string]Collector{}, logger: logger}
	for _, n := range names {
		f, ok := factories[n]
		if !ok {
			return nil, fmt.Errorf("unknown collector %q (have %v)", n, Names())
		}
		kc.collectors[n] = f(opts, log.With(logger, "collector", n))
	}
	return kc, nil
}

// NewFromCollectors runs the given collectors (by name) instead of the
// registered ones: for programs that embed the exporter's framework.
func NewFromCollectors(collectors map[string]Collector, logger log.Logger) *KmodCollector {
	return &KmodCollector{collectors: collectors, logger: logger}
}

// Describe sends nothing: which series exist depends on the host at scrape
// time, so this is an unchecked collector and the registry checks each
// scrape's metrics for consistency instead.
func (kc *KmodCollector) Describe(chan<- *prometheus.Desc) {}

// Collect runs every collector concurrently and waits for all of them.
func (kc *KmodCollector) Collect(ch chan<- prometheus.Metric) {
	kc.CollectWithin(ch, time.Time{})
}

// result is what one collector produced.
type result struct {
	name     string
	metrics  []prometheus.Metric
	err      error
	duration time.Duration
}

// CollectWithin runs every collector concurrently and sends what those that
// finish by the deadline produced (no deadline: wait for all). A collector
// still running at the deadline is reported with success 0 and logged by
// name; whatever it produces later is dropped, never sent after the scrape.
func (kc *KmodCollector) CollectWithin(ch chan<- prometheus.Metric, deadline time.Time) {
	begin := time.Now()
	results := make(chan result, len(kc.collectors))
	for name, c := range kc.collectors {
		go func(name string, c Collector) {
			local := make(chan prometheus.Metric, 64)
			var metrics []prometheus.Metric
			drained := make(chan struct{})
			go func() {
				for m := range local {
					metrics = append(metrics, m)
				}
				close(drained)
			}()
			start := time.Now()
			err := c.Update(local)
			close(local)
			<-drained
			results <- result{name, metrics, err, time.Since(start)}
		}(name, c)
	}
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	pending := map[string]bool{}
	for name := range kc.collectors {
		pending[name] = true
	}
	for len(pending) > 0 {
		select {
		case r := <-results:
			delete(pending, r.name)
			for _, m := range r.metrics {
				ch <- m
			}
			kc.report(ch, r.name, r.duration, r.err)
		case <-timeout:
			elapsed := time.Since(begin)
			for name := range pending {
				kc.report(ch, name, elapsed, fmt.Errorf("did not finish within the scrape timeout (%s)", elapsed.Round(time.Millisecond)))
			}
			return
		}
	}
}

func (kc *KmodCollector) report(ch chan<- prometheus.Metric, name string, duration time.Duration, err error) {
	success := 1.0
	if err != nil {
		success = 0
		level.Error(kc.logger).Log("msg", "collector failed", "collector", name, "duration_seconds", duration.Seconds(), "err", err)
	} else {
		level.Debug(kc.logger).Log("msg", "collector succeeded", "collector", name, "duration_seconds", duration.Seconds())
	}
	ch <- prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue, duration.Seconds(), name)
	ch <- prometheus.MustNewConstMetric(scrapeSuccessDesc, prometheus.GaugeValue, success, name)
}

// Within is the collector bounded by a deadline, for one scrape.
func (kc *KmodCollector) Within(deadline time.Time) prometheus.Collector {
	return within{kc, deadline}
}

type within struct {
	kc       *KmodCollector
	deadline time.Time
}

func (w within) Describe(chan<- *prometheus.Desc)    {}
func (w within) Collect(ch chan<- prometheus.Metric) { w.kc.CollectWithin(ch, w.deadline) }

// typedDesc pairs a description with its value type.
type typedDesc struct {
	desc      *prometheus.Desc
	valueType prometheus.ValueType
}

func newDesc(subsystem, name, help string, labels ...string) typedDesc {
	return typedDesc{prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, name), help, labels, nil), prometheus.GaugeValue}
}

func (d typedDesc) metric(value float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d.desc, d.valueType, value, labels...)
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
