package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// goCollector reports the go_* metrics of client_golang's Go collector
// (collectors.NewGoCollector with its defaults), with its descriptors and
// the same values, for half the memory: client_golang builds a new
// debug.GCStats (11 KB, its Pause history) and runtime.MemStats (6 KB) a
// scrape, while this one keeps its GCStats and samples between scrapes and
// reads the memstats values straight from the runtime/metrics samples
// client_golang derives them from (its memStatsFromRM).
type goCollector struct {
	descs []*prometheus.Desc // client_golang's, for Describe

	goroutines, threads, gcDuration, lastGC, info *prometheus.Desc
	values                                        []goValue

	mu      sync.Mutex
	samples []metrics.Sample
	stats   debug.GCStats
}

// goValue is a series read from the runtime/metrics samples: the sum of
// those at indexes sum.
type goValue struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	sum  []int
}

// goValues are client_golang's runtime/metrics series, by name: the memstats
// ones (go_memstats_*, as memStatsFromRM computes them; tiny allocations
// count in both mallocs and frees, as in runtime.MemStats) and the default
// runtime metrics (GoCollectorDefaultRuntimeMetrics).
var goValues = map[string]struct {
	typ prometheus.ValueType
	rm  []string
}{
	"go_memstats_alloc_bytes":       {prometheus.GaugeValue, []string{"/memory/classes/heap/objects:bytes"}},
	"go_memstats_alloc_bytes_total": {prometheus.CounterValue, []string{"/gc/heap/allocs:bytes"}},
	"go_memstats_sys_bytes":         {prometheus.GaugeValue, []string{"/memory/classes/total:bytes"}},
	"go_memstats_mallocs_total":     {prometheus.CounterValue, []string{"/gc/heap/allocs:objects", "/gc/heap/tiny/allocs:objects"}},
	"go_memstats_frees_total":       {prometheus.CounterValue, []string{"/gc/heap/frees:objects", "/gc/heap/tiny/allocs:objects"}},
	"go_memstats_heap_alloc_bytes":  {prometheus.GaugeValue, []string{"/memory/classes/heap/objects:bytes"}},
	"go_memstats_heap_sys_bytes": {prometheus.GaugeValue, []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes",
		"/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes"}},
	"go_memstats_heap_idle_bytes":     {prometheus.GaugeValue, []string{"/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes"}},
	"go_memstats_heap_inuse_bytes":    {prometheus.GaugeValue, []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}},
	"go_memstats_heap_released_bytes": {prometheus.GaugeValue, []string{"/memory/classes/heap/released:bytes"}},
	"go_memstats_heap_objects":        {prometheus.GaugeValue, []string{"/gc/heap/objects:objects"}},
	"go_memstats_stack_inuse_bytes":   {prometheus.GaugeValue, []string{"/memory/classes/heap/stacks:bytes"}},
	"go_memstats_stack_sys_bytes":     {prometheus.GaugeValue, []string{"/memory/classes/heap/stacks:bytes", "/memory/classes/os-stacks:bytes"}},
	"go_memstats_mspan_inuse_bytes":   {prometheus.GaugeValue, []string{"/memory/classes/metadata/mspan/inuse:bytes"}},
	"go_memstats_mspan_sys_bytes":     {prometheus.GaugeValue, []string{"/memory/classes/metadata/mspan/inuse:bytes", "/memory/classes/metadata/mspan/free:bytes"}},
	"go_memstats_mcache_inuse_bytes":  {prometheus.GaugeValue, []string{"/memory/classes/metadata/mcache/inuse:bytes"}},
	"go_memstats_mcache_sys_bytes":    {prometheus.GaugeValue, []string{"/memory/classes/metadata/mcache/inuse:bytes", "/memory/classes/metadata/mcache/free:bytes"}},
	"go_memstats_buck_hash_sys_bytes": {prometheus.GaugeValue, []string{"/memory/classes/profiling/buckets:bytes"}},
	"go_memstats_gc_sys_bytes":        {prometheus.GaugeValue, []string{"/memory/classes/metadata/other:bytes"}},
	"go_memstats_other_sys_bytes":     {prometheus.GaugeValue, []string{"/memory/classes/other:bytes"}},
	"go_memstats_next_gc_bytes":       {prometheus.GaugeValue, []string{"/gc/heap/goal:bytes"}},
	"go_gc_gogc_percent":              {prometheus.GaugeValue, []string{"/gc/gogc:percent"}},
	"go_gc_gomemlimit_bytes":          {prometheus.GaugeValue, []string{"/gc/gomemlimit:bytes"}},
	"go_sched_gomaxprocs_threads":     {prometheus.GaugeValue, []string{"/sched/gomaxprocs:threads"}},
}

// newGoCollector returns the Go collector: this one, or client_golang's
// should it describe a series this one does not know (a newer version).
func newGoCollector() prometheus.Collector {
	theirs := collectors.NewGoCollector()
	c := &goCollector{}
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		theirs.Describe(ch)
		close(ch)
	}()
	known := true
	index := map[string]int{}
	for d := range ch {
		c.descs = append(c.descs, d)
		info := parseDesc(d)
		switch info.name {
		case "go_goroutines":
			c.goroutines = d
		case "go_threads":
			c.threads = d
		case "go_gc_duration_seconds":
			c.gcDuration = d
		case "go_memstats_last_gc_time_seconds":
			c.lastGC = d
		case "go_info":
			c.info = d
		default:
			v, ok := goValues[info.name]
			known = known && ok
			value := goValue{desc: d, typ: v.typ}
			for _, n := range v.rm {
				i, ok := index[n]
				if !ok {
					i = len(c.samples)
					index[n] = i
					c.samples = append(c.samples, metrics.Sample{Name: n})
				}
				value.sum = append(value.sum, i)
			}
			c.values = append(c.values, value)
		}
	}
	if !known || c.goroutines == nil || c.threads == nil || c.gcDuration == nil || c.lastGC == nil || c.info == nil {
		return theirs
	}
	// PauseQuantiles' length asks ReadGCStats for the quartiles, as
	// client_golang does.
	c.stats.PauseQuantiles = make([]time.Duration, 5)
	return c
}

func (c *goCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *goCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.goroutines, prometheus.GaugeValue, float64(runtime.NumGoroutine()))
	threads, _ := runtime.ThreadCreateProfile(nil)
	ch <- prometheus.MustNewConstMetric(c.threads, prometheus.GaugeValue, float64(threads))
	ch <- prometheus.MustNewConstMetric(c.info, prometheus.GaugeValue, 1)

	c.mu.Lock()
	defer c.mu.Unlock()
	// The kept GCStats' Pause slice is large enough from the second call:
	// ReadGCStats then reuses it.
	debug.ReadGCStats(&c.stats)
	q := c.stats.PauseQuantiles
	quantiles := make(map[float64]float64, len(q))
	for i, d := range q {
		quantiles[float64(i)/float64(len(q)-1)] = d.Seconds()
	}
	ch <- prometheus.MustNewConstSummary(c.gcDuration, uint64(c.stats.NumGC), c.stats.PauseTotal.Seconds(), quantiles)
	ch <- prometheus.MustNewConstMetric(c.lastGC, prometheus.GaugeValue, float64(c.stats.LastGC.UnixNano())/1e9)

	metrics.Read(c.samples)
	for _, v := range c.values {
		// Unsigned sums, as memStatsFromRM's; a name this runtime does not
		// have counts 0, as there.
		var sum uint64
		for _, i := range v.sum {
			if s := c.samples[i].Value; s.Kind() == metrics.KindUint64 {
				sum += s.Uint64()
			}
		}
		ch <- prometheus.MustNewConstMetric(v.desc, v.typ, float64(sum))
	}
}
