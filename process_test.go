package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// TestProcessCollectorMatchesClientGolang: the same families (name, help,
// type) as client_golang's process collector, with the same values where
// they cannot move between the two readings and close ones where they can.
func TestProcessCollectorMatchesClientGolang(t *testing.T) {
	want := gatherAlone(t, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	got := gatherAlone(t, newProcessCollector())
	if len(got) != len(want) || len(want) != 9 {
		t.Fatalf("%d families, client_golang has %d (want 9)", len(got), len(want))
	}
	value := func(f *dto.MetricFamily) float64 {
		if m := f.Metric[0]; m.Counter != nil {
			return m.Counter.GetValue()
		}
		return f.Metric[0].Gauge.GetValue()
	}
	for name, w := range want {
		g := got[name]
		if g == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if g.GetHelp() != w.GetHelp() || g.GetType() != w.GetType() || len(g.Metric) != 1 {
			t.Errorf("%s: help %q type %v (%d series), want %q %v", name, g.GetHelp(), g.GetType(), len(g.Metric), w.GetHelp(), w.GetType())
			continue
		}
		gv, wv := value(g), value(w)
		// How far each may move between the two readings.
		tolerance := map[string]float64{
			"process_cpu_seconds_total": 0.5, "process_resident_memory_bytes": 32 << 20, "process_virtual_memory_bytes": 256 << 20,
			"process_open_fds": 2, "process_network_receive_bytes_total": 1 << 20, "process_network_transmit_bytes_total": 1 << 20,
		}[name]
		if math.Abs(gv-wv) > tolerance || (gv <= 0 && name != "process_cpu_seconds_total" && name != "process_network_receive_bytes_total" && name != "process_network_transmit_bytes_total") {
			t.Errorf("%s = %v, client_golang says %v", name, gv, wv)
		}
	}
}

// gatherAlone is the families of c alone in a pedantic Registry, by name.
func gatherAlone(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	return gatherByName(t, reg)
}

// gatherByName is one gathering of g, by family name.
func gatherByName(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range families {
		out[f.GetName()] = f
	}
	return out
}

// TestSelfMetricsReadAgainAfterReuse: a reading of the process metrics
// serves the scrapes of the next selfReuse, as the same metrics, and no
// longer: /proc/self/net/netstat (here a file the test writes) is read
// again, and its new values reported, after that, or when the clock went
// back.
func TestSelfMetricsReadAgainAfterReuse(t *testing.T) {
	pc := newProcessCollector().(*processCollector)
	pc.netstat.path = filepath.Join(t.TempDir(), "netstat")
	c := reusedFor(pc, selfReuse)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	write := func(in, out int) {
		t.Helper()
		content := fmt.Sprintf("TcpExt: SyncookiesSent\nTcpExt: 0\nIpExt: InNoRoutes InOctets OutOctets\nIpExt: 0 %d %d\n", in, out)
		if err := os.WriteFile(pc.netstat.path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var last []prometheus.Metric
	check := func(what string, wantIn, wantOut float64, same bool) {
		t.Helper()
		got := collectAll(c, 0)
		f := gatherByName(t, gathererOf(t, got))
		in := f["process_network_receive_bytes_total"].GetMetric()[0].GetCounter().GetValue()
		out := f["process_network_transmit_bytes_total"].GetMetric()[0].GetCounter().GetValue()
		if in != wantIn || out != wantOut {
			t.Errorf("%s: in %v out %v, want %v %v", what, in, out, wantIn, wantOut)
		}
		if reused := len(got) > 0 && slices.Equal(last, got); reused != same {
			t.Errorf("%s: the last reading sent again: %v, want %v", what, reused, same)
		}
		last = got
	}
	write(10, 20)
	check("first", 10, 20, false)
	write(11, 21)
	now = now.Add(selfReuse - time.Millisecond)
	check("within the reuse", 10, 20, true)
	now = now.Add(time.Millisecond)
	check("after it", 11, 21, false)
	write(12, 22)
	now = now.Add(-time.Second)
	check("clock gone back", 12, 22, false)
}

// gathererOf gathers the given metrics as a Registry would.
func gathererOf(t *testing.T, ms []prometheus.Metric) prometheus.Gatherer {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(fixedCollector(ms)); err != nil {
		t.Fatal(err)
	}
	return reg
}

// fixedCollector sends the same metrics, described by theirs.
type fixedCollector []prometheus.Metric

func (f fixedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range f {
		ch <- m.Desc()
	}
}

func (f fixedCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range f {
		ch <- m
	}
}

// panicky panics on its first collection and collects one gauge after.
type panicky struct {
	desc  *prometheus.Desc
	calls int
}

func (p *panicky) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }
func (p *panicky) Collect(ch chan<- prometheus.Metric) {
	p.calls++
	if p.calls == 1 {
		panic("first")
	}
	ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, float64(p.calls))
}

// A collector that panics leaves nothing to send again: the next scrape
// reads it anew, and the reading is not held locked.
func TestSelfMetricsPanicNotReused(t *testing.T) {
	p := &panicky{desc: prometheus.NewDesc("x", "x", nil, nil)}
	c := reusedFor(p, time.Hour)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the collector's panic was not passed on")
			}
		}()
		collectAll(c, 0)
	}()
	got := collectAll(c, 0)
	if len(got) != 1 || p.calls != 2 {
		t.Fatalf("after the panic: %d metrics, %d collections; want 1 and 2", len(got), p.calls)
	}
	if again := collectAll(c, 0); len(again) != 1 || p.calls != 2 {
		t.Fatalf("within the reuse: %d metrics, %d collections; want 1 and 2", len(again), p.calls)
	}
}
