package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// fakeCollector emits fixed metrics, in the order given.
type fakeCollector struct {
	descs   []*prometheus.Desc
	metrics func() []prometheus.Metric
}

func (c fakeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c fakeCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.metrics() {
		ch <- m
	}
}

// unsortedMetric writes its labels out of name order, as a hand-written
// Metric may.
type unsortedMetric struct{ desc *prometheus.Desc }

func (m unsortedMetric) Desc() *prometheus.Desc { return m.desc }
func (m unsortedMetric) Write(out *dto.Metric) error {
	out.Label = []*dto.LabelPair{{Name: new("z"), Value: new("1")}, {Name: new("a"), Value: new("2")}}
	out.Gauge = &dto.Gauge{Value: new(5.0)}
	return nil
}

// deterministicCollectors are collectors of every kind whose values do not
// move: gauges, counters, summaries, histograms, untyped, with constant and
// variable labels, series emitted out of order, a name shared by two
// descriptors, a unit, and the version collector.
func deterministicCollectors() []prometheus.Collector {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_events_total", Help: "Events.", ConstLabels: prometheus.Labels{"zone": "b", "app": "x"}})
	c.Add(3)
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "test_temperature", Help: "With \"quotes\" and \\ and\nnewline, ünïcode."}, []string{"room", "floor"})
	g.WithLabelValues("kitchen \"a\"\n", "1").Set(21.5)
	g.WithLabelValues("hall", "2").Set(-1e-9)
	g.WithLabelValues("hall", "1").Set(7)
	sum := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: "test_request_seconds", Help: "Requests.", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}, []string{"code"})
	for i := range 10 {
		sum.WithLabelValues("200").Observe(float64(i))
		sum.WithLabelValues("500").Observe(float64(i) / 2)
	}
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "test_latency_seconds", Help: "Latency.", Buckets: []float64{0.1, 1}}, []string{"path"})
	hist.WithLabelValues("/b").Observe(0.5)
	hist.WithLabelValues("/a").Observe(2)
	shared1 := prometheus.NewDesc("test_shared", "Shared.", []string{"v"}, prometheus.Labels{"c": "1"})
	shared2 := prometheus.NewDesc("test_shared", "Shared.", []string{"v"}, prometheus.Labels{"c": "0"})
	untyped := prometheus.NewDesc("test_untyped", "Untyped.", nil, nil)
	unsorted := prometheus.NewDesc("test_unsorted", "Labels out of order.", []string{"z", "a"}, nil)
	unit := prometheus.V2.NewDesc("test_size_bytes", "With a unit.", prometheus.UnconstrainedLabels{}, nil, prometheus.WithUnit("bytes"))
	custom := fakeCollector{descs: []*prometheus.Desc{shared1, shared2, untyped, unit, unsorted}, metrics: func() []prometheus.Metric {
		return []prometheus.Metric{
			unsortedMetric{unsorted},
			prometheus.MustNewConstMetric(shared1, prometheus.GaugeValue, 1, "z"),
			prometheus.MustNewConstMetric(untyped, prometheus.UntypedValue, 42),
			prometheus.MustNewConstMetric(shared2, prometheus.GaugeValue, 2, "z"),
			prometheus.MustNewConstMetric(shared1, prometheus.GaugeValue, 3, "a"),
			prometheus.MustNewConstMetric(unit, prometheus.GaugeValue, 4096),
		}
	}}
	return []prometheus.Collector{c, g, sum, hist, custom, versioncollector.NewCollector(exporterName)}
}

// exposition is families in the text and protobuf formats, which between
// them show every field.
func exposition(t *testing.T, families []*dto.MetricFamily) string {
	t.Helper()
	var text, proto bytes.Buffer
	enc := expfmt.NewEncoder(&proto, expfmt.NewFormat(expfmt.TypeProtoDelim))
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&text, f); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	return text.String() + fmt.Sprintf("%q", proto.String())
}

// TestStaticGathererMatchesRegistry: the same families as a Registry with
// the same collectors, on the first gathering and on later ones (series and
// families reused).
func TestStaticGathererMatchesRegistry(t *testing.T) {
	collectors := deterministicCollectors()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors...)
	want, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	s := newStaticGatherer()
	s.MustRegister(collectors...)
	for i := range 3 {
		got, err := s.Gather()
		if err != nil {
			t.Fatal(err)
		}
		if g, w := exposition(t, got), exposition(t, want); g != w {
			t.Errorf("gathering %d:\n%s\n--- Registry's:\n%s", i+1, g, w)
		}
	}
	if len(want) != 9 {
		t.Errorf("%d families, want 9", len(want))
	}
}

// TestStaticGathererGoAndProcess: the Go and process collectors' families
// are the Registry's (names, help, types, label sets; values move).
func TestStaticGathererGoAndProcess(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), newProcessCollector())
	want, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	s := newStaticGatherer()
	s.MustRegister(collectors.NewGoCollector(), newProcessCollector())
	got, err := s.Gather()
	if err != nil {
		t.Fatal(err)
	}
	shape := func(families []*dto.MetricFamily) string {
		var b strings.Builder
		for _, f := range families {
			fmt.Fprintf(&b, "%s %q %v %q:", f.GetName(), f.GetHelp(), f.GetType(), f.GetUnit())
			for _, m := range f.Metric {
				fmt.Fprint(&b, " ", m.Label)
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	if g, w := shape(got), shape(want); g != w || len(got) < 30 {
		t.Errorf("%d families:\n%s\n--- Registry's:\n%s", len(got), g, w)
	}
}

// TestStaticGathererReuse: a family whose content is unchanged comes back
// as last scrape's object (so its encoding is kept), and one whose value,
// labels or help changed, or a histogram, comes back new with the new
// content; unchanged series are last scrape's objects.
func TestStaticGathererReuse(t *testing.T) {
	s := newStaticGatherer()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "test_gauge", Help: "G."}, []string{"l"})
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_total", Help: "C."})
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "test_seconds", Help: "H.", Buckets: []float64{1}})
	sum := prometheus.NewSummary(prometheus.SummaryOpts{Name: "test_summary_seconds", Help: "S.", Objectives: map[float64]float64{0.5: 0.05}})
	s.MustRegister(g, c, hist, sum)
	g.WithLabelValues("a").Set(1)
	sum.Observe(1)
	gather := func() map[string]*dto.MetricFamily { return gatherByName(t, s) }
	first := gather()
	second := gather()
	for name, same := range map[string]bool{"test_gauge": true, "test_total": true, "test_seconds": false, "test_summary_seconds": true} {
		if got := first[name] == second[name]; got != same {
			t.Errorf("%s unchanged: same object %v, want %v", name, got, same)
		}
	}
	c.Inc()
	g.WithLabelValues("0").Set(1)
	third := gather()
	if third["test_total"] == second["test_total"] || third["test_total"].Metric[0].GetCounter().GetValue() != 1 {
		t.Errorf("counter changed: same object %v, value %v", third["test_total"] == second["test_total"], third["test_total"].Metric[0].GetCounter().GetValue())
	}
	if third["test_gauge"] == second["test_gauge"] || len(third["test_gauge"].Metric) != 2 {
		t.Fatalf("gauge gained a series: same object %v, %d series", third["test_gauge"] == second["test_gauge"], len(third["test_gauge"].Metric))
	}
	// The new series sorts first; the old one is still last scrape's.
	if third["test_gauge"].Metric[1] != second["test_gauge"].Metric[0] || third["test_gauge"].Metric[0].Label[0].GetValue() != "0" {
		t.Errorf("gauge series: %v, the unchanged one not reused", third["test_gauge"].Metric)
	}
	if len(second["test_gauge"].Metric) != 1 {
		t.Errorf("last scrape's family was modified: %v", second["test_gauge"].Metric)
	}
	g.WithLabelValues("a").Set(2)
	if fourth := gather(); fourth["test_gauge"] == third["test_gauge"] || fourth["test_gauge"].Metric[1].GetGauge().GetValue() != 2 ||
		third["test_gauge"].Metric[1].GetGauge().GetValue() != 1 {
		t.Error("gauge value changed: not served, or last scrape's family modified")
	}
	g.DeleteLabelValues("0")
	g.DeleteLabelValues("a")
	if fifth := gather(); fifth["test_gauge"] != nil {
		t.Errorf("a family without series is served: %v", fifth["test_gauge"])
	}
}

// TestStaticGathererOverflow: a collector emitting more metrics than the
// channel holds (first gathering, and growing tenfold) is gathered whole.
func TestStaticGathererOverflow(t *testing.T) {
	desc := prometheus.NewDesc("test_many", "Many.", []string{"i"}, nil)
	n := 1000
	s := newStaticGatherer()
	s.MustRegister(fakeCollector{descs: []*prometheus.Desc{desc}, metrics: func() []prometheus.Metric {
		var ms []prometheus.Metric
		for i := range n {
			ms = append(ms, prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(i), fmt.Sprintf("%05d", i)))
		}
		return ms
	}})
	for _, count := range []int{1000, 1000, 10000, 10} {
		n = count
		families, err := s.Gather()
		if err != nil {
			t.Fatal(err)
		}
		if len(families) != 1 || len(families[0].Metric) != count {
			t.Fatalf("%d families, want 1 with %d series", len(families), count)
		}
		for i, m := range families[0].Metric {
			if m.GetGauge().GetValue() != float64(i) {
				t.Fatalf("series %d: %v", i, m)
			}
		}
	}
}

// badMetric panics in Write.
type badMetric struct{ desc *prometheus.Desc }

func (m badMetric) Desc() *prometheus.Desc  { return m.desc }
func (m badMetric) Write(*dto.Metric) error { panic("write boom") }

// panicker panics in Collect.
type panicker struct{ desc *prometheus.Desc }

func (p panicker) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }
func (p panicker) Collect(chan<- prometheus.Metric)    { panic("boom") }

// TestStaticGathererErrors: an invalid descriptor, a failing or panicking
// Write, a panicking collector and a series collected twice are errors, and
// every other family still comes back.
func TestStaticGathererErrors(t *testing.T) {
	good := prometheus.NewDesc("test_good", "Good.", []string{"l"}, nil)
	failing := prometheus.NewDesc("test_failing", "Failing.", nil, nil)
	otherHelp := prometheus.NewDesc("test_good", "Other help.", []string{"l"}, nil)
	s := newStaticGatherer()
	// Unchecked (no descriptors): the Registry would refuse the invalid
	// one at registration.
	s.MustRegister(fakeCollector{metrics: func() []prometheus.Metric {
		return []prometheus.Metric{
			prometheus.NewInvalidMetric(prometheus.NewInvalidDesc(errors.New("bad desc")), errors.New("bad desc")),
			prometheus.MustNewConstMetric(good, prometheus.GaugeValue, 1, "a"),
			prometheus.NewInvalidMetric(failing, errors.New("cannot read")),
			prometheus.MustNewConstMetric(good, prometheus.GaugeValue, 2, "a"),
			prometheus.MustNewConstMetric(good, prometheus.GaugeValue, 3, "b"),
			badMetric{failing},
			prometheus.MustNewConstMetric(otherHelp, prometheus.GaugeValue, 4, "c"),
			prometheus.MustNewConstMetric(good, prometheus.CounterValue, 5, "d"),
		}
	}}, panicker{prometheus.NewDesc("test_panic", "P.", nil, nil)})
	families, err := s.Gather()
	for _, want := range []string{"descriptor Desc{fqName: \"\"", "is invalid", "cannot read", "panic recovered", "boom", "write boom", `has help "Other help." but should have "Good."`, "should be a GAUGE", "collected before with the same name and label values"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to say %q", err, want)
		}
	}
	if len(families) != 1 || families[0].GetName() != "test_good" || len(families[0].Metric) != 2 || families[0].Metric[0].GetGauge().GetValue() != 1 {
		t.Errorf("families %v, want test_good's 2 series, the first a=1", families)
	}
	// The error returned stays as it was through the next gathering.
	said := err.Error()
	if _, again := s.Gather(); again == nil || err.Error() != said {
		t.Errorf("second gathering: %v; the first error became %q", again, err)
	}
}

// TestStaticGathererRegister: registration is checked as the Registry
// checks it; an unregistered collector is no longer gathered.
func TestStaticGathererRegister(t *testing.T) {
	s := newStaticGatherer()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_total", Help: "C."})
	for _, r := range []prometheus.Registerer{s, reg} {
		if err := r.Register(c); err != nil {
			t.Fatal(err)
		}
		var already prometheus.AlreadyRegisteredError
		if err := r.Register(prometheus.NewCounter(prometheus.CounterOpts{Name: "test_total", Help: "C."})); !errors.As(err, &already) || already.ExistingCollector != c {
			t.Errorf("%T: duplicate registered: %v", r, err)
		}
		if err := r.Register(prometheus.NewGauge(prometheus.GaugeOpts{Name: "test_total", Help: "Other help."})); err == nil {
			t.Errorf("%T: inconsistent help registered", r)
		}
		if err := r.Register(prometheus.NewGauge(prometheus.GaugeOpts{Name: "bad\xff", Help: "B."})); err == nil {
			t.Errorf("%T: invalid name registered", r)
		}
	}
	if families, err := s.Gather(); err != nil || len(families) != 1 {
		t.Fatalf("%v %v", families, err)
	}
	// An equal collector (same descriptors) unregisters it, as in the Registry.
	if !s.Unregister(prometheus.NewCounter(prometheus.CounterOpts{Name: "test_total", Help: "C."})) {
		t.Fatal("not unregistered")
	}
	if families, err := s.Gather(); err != nil || len(families) != 0 {
		t.Errorf("after Unregister: %v %v", families, err)
	}
	if s.Unregister(c) {
		t.Error("unregistered twice")
	}
	s.MustRegister(c)
	if families, err := s.Gather(); err != nil || len(families) != 1 {
		t.Errorf("registered again: %v %v", families, err)
	}
}

// TestStaticGathererConcurrent: gatherings and registrations at once (run
// with -race).
func TestStaticGathererConcurrent(t *testing.T) {
	s := newStaticGatherer()
	s.MustRegister(deterministicCollectors()...)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				families, err := s.Gather()
				if err != nil || len(families) < 9 {
					t.Errorf("%d families, %v", len(families), err)
				}
				for _, f := range families {
					_ = exposition(t, []*dto.MetricFamily{f})
				}
				g := prometheus.NewGauge(prometheus.GaugeOpts{Name: fmt.Sprintf("test_g%d_%d", i, j), Help: "G."})
				s.MustRegister(g)
				s.Unregister(g)
			}
		})
	}
	wg.Wait()
}

// FuzzParseDesc: name, help and unit read back from any descriptor as they
// were given, and no panic.
func FuzzParseDesc(f *testing.F) {
	f.Add("test_metric", "Help.", "", "v")
	f.Add("a:b", "With \"quotes\", \\, \n and \xff.", "seconds", "\"}, help: \"x")
	f.Add("", "", "", "")
	f.Add("ünïcode name", "help: \"", "byte\"s", "c(l)")
	f.Fuzz(func(t *testing.T, name, help, unit, value string) {
		d := prometheus.V2.NewDesc(name, help, prometheus.UnconstrainedLabels{"l"}, prometheus.Labels{"c": value}, prometheus.WithUnit(unit))
		info := parseDesc(d)
		if name == "" {
			if info.err == nil {
				t.Errorf("no error for a nameless descriptor %s", d)
			}
			return
		}
		if info.err != nil || info.name != name || info.help != help || info.unit != unit {
			t.Errorf("%s: read %q %q %q %v", d, info.name, info.help, info.unit, info.err)
		}
	})
}

// BenchmarkStaticGather is one gathering of the static metrics (version,
// client_golang's Go collector, process) by the staticGatherer and by a
// prometheus.Registry: the gatherers' difference alone (BenchmarkGoCollector
// compares the Go collectors).
func BenchmarkStaticGather(b *testing.B) {
	for _, g := range []struct {
		name string
		reg  interface {
			prometheus.Registerer
			prometheus.Gatherer
		}
	}{{"static", newStaticGatherer()}, {"registry", prometheus.NewRegistry()}} {
		g.reg.MustRegister(versioncollector.NewCollector(exporterName), collectors.NewGoCollector(), newProcessCollector())
		b.Run(g.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
