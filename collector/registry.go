package collector

import (
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

type factory func(Options, log.Logger) Collector

// The collectors register themselves here from their files' init, each
// with its --[no-]collector.NAME flag.
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
	done := kc.run(time.Time{})
	defer releaseSinks(done)
	return kc.families.build(done)
}

// Within is the collectors bounded by a deadline, for one scrape.
func (kc *KmodCollector) Within(deadline time.Time) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		done := kc.run(deadline)
		defer releaseSinks(done)
		return kc.families.build(done)
	})
}
