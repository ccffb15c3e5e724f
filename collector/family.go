package collector

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Desc describes one metric family (a gauge, or a counter): its name, help
// and label names. The exposition's fixed parts (name, help, label names in
// sorted order) are built once here and shared by every scrape's series.
type Desc struct {
	name, help string
	labels     []string // in the order Add takes their values
	order      []int    // label indexes sorted by name, as the exposition orders them
	sorted     []*string
	counter    bool  // a counter rather than a gauge
	id         int32 // its number, by which build groups series

	promOnce sync.Once
	prom     *prometheus.Desc
}

// descCount numbers the Descs.
var descCount atomic.Int32

// NewDesc describes a gauge family named fqName with the given labels.
func NewDesc(fqName, help string, labels ...string) *Desc {
	labels = slices.Clone(labels)
	d := &Desc{name: fqName, help: help, labels: labels, id: descCount.Add(1) - 1}
	d.order = make([]int, len(labels))
	for i := range d.order {
		d.order[i] = i
	}
	slices.SortFunc(d.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	for _, i := range d.order {
		d.sorted = append(d.sorted, &labels[i])
	}
	return d
}

func newDesc(subsystem, name, help string, labels ...string) *Desc {
	return NewDesc(prometheus.BuildFQName(namespace, subsystem, name), help, labels...)
}

func newCounterDesc(subsystem, name, help string, labels ...string) *Desc {
	d := newDesc(subsystem, name, help, labels...)
	d.counter = true
	return d
}

// promDesc is the client_golang description, for Collect.
func (d *Desc) promDesc() *prometheus.Desc {
	d.promOnce.Do(func() { d.prom = prometheus.NewDesc(d.name, d.help, d.labels, nil) })
	return d.prom
}

func (d *Desc) valueType() prometheus.ValueType {
	if d.counter {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}

// sample is one series: its family, value, and where its label values start
// in the sink.
type sample struct {
	desc   *Desc
	value  float64
	labels int
}

// Sink holds the series one collector found in one scrape. Collectors add
// to it directly: no channel and no metric object per series, which made up
// most of a scrape's cost.
type Sink struct {
	samples []sample
	labels  []string
}

// Add adds one series of d. It panics when the number of label values is
// wrong, as prometheus.MustNewConstMetric does: that is a programming error.
func (s *Sink) Add(d *Desc, value float64, labels ...string) {
	if len(labels) != len(d.labels) {
		panic(fmt.Sprintf("%s: %d label values for %d labels", d.name, len(labels), len(d.labels)))
	}
	s.samples = append(s.samples, sample{d, value, len(s.labels)})
	s.labels = append(s.labels, labels...)
}

// sinkMark is where a sink stood: what was added after it is since(mark).
type sinkMark struct{ samples, labels int }

func (s *Sink) mark() sinkMark { return sinkMark{len(s.samples), len(s.labels)} }

// since is what was added after mark, sharing the sink's arrays.
func (s *Sink) since(m sinkMark) Sink {
	return Sink{samples: s.samples[m.samples:], labels: s.labels[m.labels:]}
}

// append adds every series of from, in order. A sample's labels are an
// offset into from.labels, which from may share with a bigger sink (since)
// and so may not start at offset 0: that base moves to the end of s.labels.
func (s *Sink) append(from *Sink) {
	if len(from.samples) == 0 {
		return
	}
	shift := len(s.labels) - from.samples[0].labels
	for _, smp := range from.samples {
		smp.labels += shift
		s.samples = append(s.samples, smp)
	}
	s.labels = append(s.labels, from.labels...)
}

func (s *Sink) labelsOf(smp *sample) []string {
	values := s.labels[smp.labels : smp.labels+len(smp.desc.labels)]
	for i, v := range values {
		values[i] = validUTF8(v)
	}
	return values
}

var gaugeType, counterType = dto.MetricType_GAUGE, dto.MetricType_COUNTER

// familyCache keeps each family as the last scrape built it, with the
// series it was built from. Most families come out the same scrape after
// scrape (a module's state rarely changes), and one whose series are equal,
// value for value and label for label, to last time's is served as built
// then instead of being built again. The comparison is with this scrape's
// fresh reads, so an answer is never stale; the cache only ever holds the
// last scrape's families. Built families are never modified afterwards, so
// concurrent scrapes may share them.
type familyCache struct {
	mu      sync.Mutex
	entries map[*Desc]*builtFamily
}

type builtFamily struct {
	values []float64
	labels []string // as collected, in the order collected
	family *dto.MetricFamily
	errs   []error
}

// same reports whether series are exactly those the family was built from.
func (b *builtFamily) same(d *Desc, series []seriesRef) bool {
	if b == nil || len(series) != len(b.values) {
		return false
	}
	n := len(d.labels)
	for i, r := range series {
		smp := &r.sink.samples[r.i]
		if smp.value != b.values[i] {
			return false
		}
		if n > 0 && !slices.Equal(r.sink.labels[smp.labels:smp.labels+n], b.labels[i*n:(i+1)*n]) {
			return false
		}
	}
	return true
}

// seriesRef is one series in its sink.
type seriesRef struct {
	sink *Sink
	i    int32
}

// buildFamilies builds families without a cache (tests).
func buildFamilies(sinks []*Sink) ([]*dto.MetricFamily, error) {
	return (&familyCache{}).build(sinks)
}

// build turns the sinks' series into metric families in the order and form
// prometheus.Registry.Gather gives: families sorted by name, their series
// sorted by label values (label names in sorted order), label values made
// valid UTF-8. A series repeating another's labels is dropped and
// reported, as the registry does.
func (c *familyCache) build(sinks []*Sink) ([]*dto.MetricFamily, error) {
	sc := buildScratches.Get().(*buildScratch)
	defer sc.release()
	// Count the series of each family (by the Desc's number), then place
	// them family by family: a counting sort, no map.
	descs := int(descCount.Load())
	count := resize(sc.count, descs)
	order := sc.order[:0]
	total := 0
	for _, sink := range sinks {
		for i := range sink.samples {
			d := sink.samples[i].desc
			if count[d.id] == 0 {
				order = append(order, d)
			}
			count[d.id]++
			total++
		}
	}
	slices.SortFunc(order, func(a, b *Desc) int { return strings.Compare(a.name, b.name) })
	next := resize(sc.next, descs)
	pos := int32(0)
	for _, d := range order {
		next[d.id] = pos
		pos += count[d.id]
	}
	refs := resize(sc.refs, total)
	sc.count, sc.next, sc.refs, sc.order = count, next, refs, order
	for _, sink := range sinks {
		for i := range sink.samples {
			id := sink.samples[i].desc.id
			refs[next[id]] = seriesRef{sink, int32(i)}
			next[id]++
		}
	}

	c.mu.Lock()
	previous := c.entries
	c.mu.Unlock()
	entries := make(map[*Desc]*builtFamily, len(order))
	out := make([]*dto.MetricFamily, len(order))
	var errs []error
	first := 0
	for f, d := range order {
		series := refs[first : first+int(count[d.id])]
		first += len(series)
		b := previous[d]
		if !b.same(d, series) {
			b = buildFamily(d, series)
		}
		entries[d] = b
		out[f] = b.family
		errs = append(errs, b.errs...)
	}
	c.mu.Lock()
	c.entries = entries
	c.mu.Unlock()
	return out, errors.Join(errs...)
}

// buildScratch is what build needs only while it runs, kept between
// scrapes: the series references alone were 10 KB a scrape.
type buildScratch struct {
	count, next []int32
	refs        []seriesRef
	order       []*Desc
}

var buildScratches = sync.Pool{New: func() any { return new(buildScratch) }}

// release clears what points into this scrape's sinks and returns the
// scratch to the pool.
func (sc *buildScratch) release() {
	clear(sc.refs)
	clear(sc.order)
	buildScratches.Put(sc)
}

// resize returns s with length n and every element zero, reusing its array
// when large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// buildFamily builds one family, allocating its parts in a few slabs rather
// than one object per series.
func buildFamily(d *Desc, series []seriesRef) *builtFamily {
	n, nl := len(series), len(d.labels)
	b := &builtFamily{values: make([]float64, n), labels: make([]string, 0, n*nl)}
	metrics := make([]dto.Metric, n)
	metricPtrs := make([]*dto.Metric, n)
	var gauges []dto.Gauge
	var counters []dto.Counter
	if d.counter {
		counters = make([]dto.Counter, n)
	} else {
		gauges = make([]dto.Gauge, n)
	}
	pairs := make([]dto.LabelPair, n*nl)
	pairPtrs := make([]*dto.LabelPair, n*nl)
	strs := make([]string, n*nl)
	l := 0
	for m, r := range series {
		smp := &r.sink.samples[r.i]
		b.values[m] = smp.value
		if d.counter {
			counters[m].Value = &b.values[m]
			metrics[m].Counter = &counters[m]
		} else {
			gauges[m].Value = &b.values[m]
			metrics[m].Gauge = &gauges[m]
		}
		if nl > 0 {
			labels := r.sink.labels[smp.labels : smp.labels+nl]
			b.labels = append(b.labels, labels...)
			start := l
			for k, i := range d.order {
				strs[l] = validUTF8(labels[i])
				pairs[l].Name, pairs[l].Value = d.sorted[k], &strs[l]
				pairPtrs[l] = &pairs[l]
				l++
			}
			metrics[m].Label = pairPtrs[start:l:l]
		}
		metricPtrs[m] = &metrics[m]
	}
	// Collectors mostly add series in order already: one pass proves it,
	// and only then are they sorted and repeats dropped.
	if !strictlyIncreasing(metricPtrs) {
		slices.SortFunc(metricPtrs, compareLabels)
		metricPtrs = slices.CompactFunc(metricPtrs, func(x, y *dto.Metric) bool {
			if compareLabels(x, y) != 0 {
				return false
			}
			b.errs = append(b.errs, fmt.Errorf("%s%s was collected twice; the second is dropped", d.name, labelString(y)))
			return true
		})
	}
	b.family = &dto.MetricFamily{Name: &d.name, Help: &d.help, Type: &gaugeType, Metric: metricPtrs}
	if d.counter {
		b.family.Type = &counterType
	}
	return b
}

// validUTF8 replaces what is not UTF-8 (a file name can be any bytes), which
// the exposition formats cannot carry.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func strictlyIncreasing(series []*dto.Metric) bool {
	for i := 1; i < len(series); i++ {
		if compareLabels(series[i-1], series[i]) >= 0 {
			return false
		}
	}
	return true
}

// compareLabels orders series as client_golang does: by label values, in
// the order of the (sorted) label names.
func compareLabels(a, b *dto.Metric) int {
	for i, p := range a.Label {
		if c := strings.Compare(p.GetValue(), b.Label[i].GetValue()); c != 0 {
			return c
		}
	}
	return 0
}

func labelString(m *dto.Metric) string {
	var parts []string
	for _, p := range m.Label {
		parts = append(parts, fmt.Sprintf("%s=%q", p.GetName(), p.GetValue()))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
