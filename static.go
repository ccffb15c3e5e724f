package main

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// staticGatherer holds the static metrics (build info, Go, process, config
// reloads) and gathers them as prometheus.Registry.Gather does (the same
// families, series and order) for a fraction of the cost: the Registry
// starts goroutines per collector, allocates a family map and a dto.Metric
// per series and hashes every series each scrape, a quarter of a scrape's
// CPU. Here the collectors are called one after another into a reused
// channel and, for each family whose content is unchanged, last scrape's
// *dto.MetricFamily comes back, so the handler's encoding cache (which
// keeps a family's bytes while it comes back as the same object) also
// serves the static families that do not move (build info, go_info, the
// limits, most go_memstats_*): about half of them.
//
// Registration goes through an inner Registry for its checks (valid and
// unique descriptors, consistent help and labels); at gathering only the
// checks that cost no hashing are kept (help and type of a name, a series
// collected twice, invalid descriptors and Write errors).
type staticGatherer struct {
	reg *prometheus.Registry

	mu         sync.Mutex
	collectors []registered // replaced, never modified: Gather reads it unlocked

	gathering sync.Mutex // held by Gather: the state below is its own
	descs     map[*prometheus.Desc]descInfo
	families  map[string]*familyState
	scratch   dto.Metric // Write's target before it is kept
	ch        chan prometheus.Metric
	lastCount int // metrics collected last time, to size ch
	timer     *time.Timer
	drain     *drainer // reused until it ran
	pending   atomic.Pointer[drainer]
	sorted    []*dto.Metric
	errs      prometheus.MultiError
}

type registered struct {
	c   prometheus.Collector
	key string // its descriptors, to find it again in Unregister
}

// descInfo is what a family needs from a descriptor, which client_golang
// only shows through Desc.String.
type descInfo struct {
	name, help, unit string
	err              error
}

// familyState is a family across scrapes.
type familyState struct {
	name, help, unit string
	typ              dto.MetricType
	// collected are this scrape's series in collection order; previous,
	// last scrape's, to find a series unchanged at the same position.
	collected, previous []*dto.Metric
	family              *dto.MetricFamily // last returned
	seen                bool              // collected this scrape
}

// collectPatience is how long a collector may take before its metrics are
// drained by another goroutine: one that emits more than the channel holds
// blocks until then. The channel is sized to twice last scrape's count, so
// this happens only for a collector that more than doubled.
const collectPatience = 5 * time.Millisecond

// drainer empties the channel while a collector is blocked on it.
type drainer struct {
	ch    chan prometheus.Metric
	stop  chan struct{}
	done  chan struct{}
	fired atomic.Bool
	mu    sync.Mutex
	got   []prometheus.Metric
}

func newStaticGatherer() *staticGatherer {
	s := &staticGatherer{
		reg:      prometheus.NewRegistry(),
		descs:    map[*prometheus.Desc]descInfo{},
		families: map[string]*familyState{},
	}
	s.timer = time.AfterFunc(time.Hour, s.overflow)
	s.timer.Stop()
	return s
}

// Register implements prometheus.Registerer.
func (s *staticGatherer) Register(c prometheus.Collector) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reg.Register(c); err != nil {
		return err
	}
	s.collectors = append(slices.Clip(s.collectors), registered{c, describeKey(c)})
	return nil
}

// MustRegister implements prometheus.Registerer.
func (s *staticGatherer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := s.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister implements prometheus.Registerer. The Registry finds the
// collector by its descriptors, which need not be the registered object,
// so the collector dropped is the one with the same descriptors.
func (s *staticGatherer) Unregister(c prometheus.Collector) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.reg.Unregister(c) {
		return false
	}
	key := describeKey(c)
	for i, r := range s.collectors {
		if r.c == c || r.key == key {
			s.collectors = slices.Delete(slices.Clone(s.collectors), i, i+1)
			break
		}
	}
	return true
}

// describeKey is a collector's descriptors, in order.
func describeKey(c prometheus.Collector) string {
	ch := make(chan *prometheus.Desc, 16)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	var b strings.Builder
	for d := range ch {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// parseDesc reads name, help and unit from Desc.String:
// Desc{fqName: %q, help: %q, unit: %q, constLabels: ...}.
func parseDesc(d *prometheus.Desc) descInfo {
	s := d.String()
	rest, ok := strings.CutPrefix(s, "Desc{fqName: ")
	var info descInfo
	fields := []struct {
		sep string
		dst *string
	}{{"", &info.name}, {", help: ", &info.help}, {", unit: ", &info.unit}}
	for i, f := range fields {
		if !ok {
			break
		}
		if rest, ok = strings.CutPrefix(rest, f.sep); !ok {
			// The unit is newer than the other two.
			ok = i == 2
			break
		}
		var q string
		if q, ok = quoted(rest); ok {
			*f.dst, _ = strconv.Unquote(q)
			rest = rest[len(q):]
		}
	}
	switch {
	case !ok:
		info.err = fmt.Errorf("descriptor %s: cannot read its name and help", s)
	case info.name == "":
		// An invalid descriptor (NewInvalidDesc, or a collector's panic)
		// has no name; its error is not exported.
		info.err = fmt.Errorf("descriptor %s is invalid", s)
	}
	return info
}

// quoted is the Go-quoted string s begins with.
func quoted(s string) (string, bool) {
	q, err := strconv.QuotedPrefix(s)
	return q, err == nil && strings.HasPrefix(q, `"`)
}

// Gather implements prometheus.Gatherer. The families it returns, and
// their series, are never modified afterwards.
func (s *staticGatherer) Gather() ([]*dto.MetricFamily, error) {
	s.mu.Lock()
	collectors := s.collectors
	s.mu.Unlock()
	s.gathering.Lock()
	defer s.gathering.Unlock()
	// Not reused: the error returned holds the slice.
	s.errs = nil
	for _, f := range s.families {
		f.previous, f.collected = f.collected, f.previous[:0]
		f.seen = false
	}
	// A collector making a new descriptor every scrape would grow the
	// cache without end: start over once it is well beyond a scrape's.
	if len(s.descs) > 4*s.lastCount+64 {
		clear(s.descs)
	}
	if want := 2*s.lastCount + 64; cap(s.ch) < want || cap(s.ch) > 4*want {
		s.ch = make(chan prometheus.Metric, want)
		s.drain = nil
	}
	if s.drain == nil {
		s.drain = &drainer{ch: s.ch, stop: make(chan struct{}), done: make(chan struct{})}
	}
	d := s.drain
	s.pending.Store(d)
	s.timer.Reset(collectPatience)
	count := 0
	for _, r := range collectors {
		s.collect(r.c)
		if !d.fired.Load() {
			count += s.take()
		}
	}
	if !s.timer.Stop() {
		// The drainer ran (or is starting): stop it, then take what it
		// drained and what it left.
		close(d.stop)
		<-d.done
		for _, m := range d.got {
			s.add(m)
		}
		count += len(d.got) + s.take()
		s.drain = nil
	}
	s.lastCount = count
	return s.assemble(), s.errs.MaybeUnwrap()
}

// collect runs one collector; a panic is an error, as in the Registry.
func (s *staticGatherer) collect(c prometheus.Collector) {
	defer func() {
		if r := recover(); r != nil {
			buf := make([]byte, 64<<10)
			n := runtime.Stack(buf, false)
			s.errs = append(s.errs, fmt.Errorf("prometheus collector panic recovered: type=%T: error=%v\nstack trace=%s", c, r, buf[:n]))
		}
	}()
	c.Collect(s.ch)
}

// take processes the metrics waiting in the channel.
func (s *staticGatherer) take() int {
	for n := 0; ; n++ {
		select {
		case m := <-s.ch:
			s.add(m)
		default:
			return n
		}
	}
}

// overflow runs when the collectors took longer than collectPatience:
// from then on it drains the channel, until Gather stops it.
func (s *staticGatherer) overflow() {
	d := s.pending.Load()
	d.fired.Store(true)
	defer close(d.done)
	for {
		select {
		case m := <-d.ch:
			d.mu.Lock()
			d.got = append(d.got, m)
			d.mu.Unlock()
		case <-d.stop:
			return
		}
	}
}

// add writes one metric into its family: last scrape's series at the same
// position if the content is the same, else a new one.
func (s *staticGatherer) add(m prometheus.Metric) {
	// A Metric's methods are foreign code: a panic in one costs its series,
	// not the process (Gather runs beside the scrape, where nothing
	// recovers).
	defer func() {
		if r := recover(); r != nil {
			s.errs = append(s.errs, fmt.Errorf("metric %T panicked: %v", m, r))
		}
	}()
	desc := m.Desc()
	info, ok := s.descs[desc]
	if !ok {
		info = parseDesc(desc)
		s.descs[desc] = info
	}
	if info.err != nil {
		s.errs = append(s.errs, info.err)
		return
	}
	w := &s.scratch
	w.Reset()
	if err := m.Write(w); err != nil {
		s.errs = append(s.errs, fmt.Errorf("error collecting metric %v: %w", desc, err))
		return
	}
	var typ dto.MetricType
	switch {
	case w.Gauge != nil:
		typ = dto.MetricType_GAUGE
	case w.Counter != nil:
		typ = dto.MetricType_COUNTER
	case w.Summary != nil:
		typ = dto.MetricType_SUMMARY
	case w.Untyped != nil:
		typ = dto.MetricType_UNTYPED
	case w.Histogram != nil:
		typ = dto.MetricType_HISTOGRAM
	default:
		s.errs = append(s.errs, fmt.Errorf("empty metric collected: %s", w))
		return
	}
	f := s.families[info.name]
	switch {
	case f == nil:
		f = &familyState{name: info.name, help: info.help, unit: info.unit, typ: typ}
		s.families[info.name] = f
	case !f.seen:
		// Its first series this scrape says what the family is.
		f.help, f.unit, f.typ = info.help, info.unit, typ
	case f.help != info.help:
		s.errs = append(s.errs, fmt.Errorf("collected metric %s %s has help %q but should have %q", info.name, w, info.help, f.help))
		return
	case f.typ != typ:
		s.errs = append(s.errs, fmt.Errorf("collected metric %s %s should be a %s", info.name, w, f.typ))
		return
	}
	f.seen = true
	if !sort.IsSorted(labelPairs(w.Label)) {
		// The labels belong to the metric (immutable by contract): sort a
		// copy, as the Registry does.
		w.Label = slices.Clone(w.Label)
		sort.Sort(labelPairs(w.Label))
	}
	if old := f.unchanged(w); old != nil {
		f.collected = append(f.collected, old)
		return
	}
	f.collected = append(f.collected, &dto.Metric{Label: w.Label, Gauge: w.Gauge, Counter: w.Counter, Summary: w.Summary,
		Untyped: w.Untyped, Histogram: w.Histogram, TimestampMs: w.TimestampMs})
}

// unchanged is last scrape's series equal to w: the one at the same
// position in collection order or, since a metric vector collects from a
// map in any order, any of a small family's.
func (f *familyState) unchanged(w *dto.Metric) *dto.Metric {
	if i := len(f.collected); i < len(f.previous) && sameMetric(f.previous[i], w) {
		return f.previous[i]
	}
	if len(f.previous) > 64 {
		return nil
	}
	for _, p := range f.previous {
		if sameMetric(p, w) {
			return p
		}
	}
	return nil
}

// assemble returns the families collected, sorted by name, each with its
// series sorted as the Registry sorts them: last scrape's family object
// when the series are the same objects as then.
func (s *staticGatherer) assemble() []*dto.MetricFamily {
	out := make([]*dto.MetricFamily, 0, len(s.families))
	for name, f := range s.families {
		if !f.seen {
			delete(s.families, name)
			continue
		}
		s.sorted = append(s.sorted[:0], f.collected...)
		sort.Stable(metricSorter(s.sorted))
		s.sorted = s.dropDuplicates(f.name, s.sorted)
		if old := f.family; old != nil && old.GetHelp() == f.help && old.GetType() == f.typ && old.GetUnit() == f.unit &&
			slices.Equal(old.Metric, s.sorted) {
			out = append(out, old)
			continue
		}
		nf := &dto.MetricFamily{Name: new(f.name), Help: new(f.help), Type: f.typ.Enum(), Metric: slices.Clone(s.sorted)}
		if f.unit != "" {
			nf.Unit = new(f.unit)
		}
		f.family = nf
		out = append(out, nf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

// dropDuplicates removes a series collected again with the same labels
// (and timestamp), keeping the first, as the Registry does; sorted stably,
// they are next to each other.
func (s *staticGatherer) dropDuplicates(name string, ms []*dto.Metric) []*dto.Metric {
	out := ms[:0]
	for i, m := range ms {
		if i > 0 && sameSeries(out[len(out)-1], m) {
			s.errs = append(s.errs, fmt.Errorf("collected metric %q { %s} was collected before with the same name and label values", name, m))
			continue
		}
		out = append(out, m)
	}
	return out
}

func sameSeries(a, b *dto.Metric) bool {
	if len(a.Label) != len(b.Label) || (a.TimestampMs == nil) != (b.TimestampMs == nil) || a.GetTimestampMs() != b.GetTimestampMs() {
		return false
	}
	for i, l := range a.Label {
		if l.GetName() != b.Label[i].GetName() || l.GetValue() != b.Label[i].GetValue() {
			return false
		}
	}
	return true
}

// labelPairs sorts label pairs by name (client_golang's LabelPairSorter).
type labelPairs []*dto.LabelPair

func (p labelPairs) Len() int           { return len(p) }
func (p labelPairs) Swap(i, j int)      { p[i], p[j] = p[j], p[i] }
func (p labelPairs) Less(i, j int) bool { return p[i].GetName() < p[j].GetName() }

// metricSorter orders series as client_golang's internal MetricSorter:
// by label values, then timestamp (none last).
type metricSorter []*dto.Metric

func (s metricSorter) Len() int      { return len(s) }
func (s metricSorter) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s metricSorter) Less(i, j int) bool {
	if len(s[i].Label) != len(s[j].Label) {
		return len(s[i].Label) < len(s[j].Label)
	}
	for n, lp := range s[i].Label {
		if vi, vj := lp.GetValue(), s[j].Label[n].GetValue(); vi != vj {
			return vi < vj
		}
	}
	if s[i].TimestampMs == nil {
		return false
	}
	if s[j].TimestampMs == nil {
		return true
	}
	return s[i].GetTimestampMs() < s[j].GetTimestampMs()
}

// sameTime compares two created timestamps (*timestamppb.Timestamp, named
// by its methods so the module need not depend on protobuf directly).
func sameTime[T interface {
	comparable
	GetSeconds() int64
	GetNanos() int32
}](a, b T) bool {
	var none T
	return (a == none) == (b == none) && a.GetSeconds() == b.GetSeconds() && a.GetNanos() == b.GetNanos()
}

// sameMetric reports whether two series encode the same in every format.
// It knows the fields client_golang's Go, process and version collectors
// and gauges set; anything else (exemplars, histograms, created
// timestamps of summaries) counts as a change, which only costs an
// encoding.
func sameMetric(a, b *dto.Metric) bool {
	if len(a.Label) != len(b.Label) || a.TimestampMs != nil || b.TimestampMs != nil {
		return false
	}
	for i, l := range a.Label {
		if l.GetName() != b.Label[i].GetName() || l.GetValue() != b.Label[i].GetValue() {
			return false
		}
	}
	switch {
	case a.Gauge != nil:
		return b.Gauge != nil && a.Gauge.GetValue() == b.Gauge.GetValue()
	case a.Counter != nil:
		return b.Counter != nil && a.Counter.Exemplar == nil && b.Counter.Exemplar == nil &&
			sameTime(a.Counter.CreatedTimestamp, b.Counter.CreatedTimestamp) && a.Counter.GetValue() == b.Counter.GetValue()
	case a.Untyped != nil:
		return b.Untyped != nil && a.Untyped.GetValue() == b.Untyped.GetValue()
	case a.Summary != nil:
		x, y := a.Summary, b.Summary
		if y == nil || !sameTime(x.CreatedTimestamp, y.CreatedTimestamp) || x.GetSampleCount() != y.GetSampleCount() ||
			x.GetSampleSum() != y.GetSampleSum() || len(x.Quantile) != len(y.Quantile) {
			return false
		}
		for i, q := range x.Quantile {
			if q.GetQuantile() != y.Quantile[i].GetQuantile() || q.GetValue() != y.Quantile[i].GetValue() {
				return false
			}
		}
		return true
	}
	return false
}
