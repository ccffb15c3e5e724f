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

// Describe sends nothing: which series exist depends on the host at scrape
// time, so this is an unchecked collector and the registry checks each
// scrape's metrics for consistency instead.
func (kc *KmodCollector) Describe(chan<- *prometheus.Desc) {}

// Collect runs every collector concurrently.
func (kc *KmodCollector) Collect(ch chan<- prometheus.Metric) {
	var wg sync.WaitGroup
	for name, c := range kc.collectors {
		wg.Add(1)
		go func(name string, c Collector) {
			defer wg.Done()
			kc.run(name, c, ch)
		}(name, c)
	}
	wg.Wait()
}

func (kc *KmodCollector) run(name string, c Collector, ch chan<- prometheus.Metric) {
	begin := time.Now()
	err := c.Update(ch)
	duration := time.Since(begin)
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
