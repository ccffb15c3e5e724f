package main

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// TestGoCollectorMatchesClientGolang: the same families as client_golang's
// Go collector (names, help, types, units, label sets, quantiles), with
// the same values where they cannot move between the two readings (GC off)
// and close ones where they can (allocations).
func TestGoCollectorMatchesClientGolang(t *testing.T) {
	ours := newGoCollector()
	if _, ok := ours.(*goCollector); !ok {
		t.Fatalf("newGoCollector fell back to client_golang's (%T): a series it does not know", ours)
	}
	// Tiny allocations, which count in both mallocs and frees, and more
	// than the tolerance, so that the sums are seen.
	tiny := make([]*[8]byte, 50000)
	for i := range tiny {
		tiny[i] = new([8]byte)
	}
	runtime.GC()
	runtime.KeepAlive(tiny)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	want := gatherAlone(t, collectors.NewGoCollector())
	got := gatherAlone(t, ours)
	if len(got) != len(want) || len(want) < 28 {
		t.Errorf("%d families, client_golang has %d (want at least 28)", len(got), len(want))
	}
	// How far a value may move between the two readings; absent: not at all.
	tolerance := func(name string) float64 {
		switch {
		case name == "go_goroutines" || name == "go_threads":
			return 2
		case name == "go_memstats_mallocs_total" || name == "go_memstats_frees_total" || name == "go_memstats_heap_objects":
			return 2000 // the objects the first gathering allocated
		case name == "go_memstats_alloc_bytes_total":
			return 256 << 10
		case strings.HasPrefix(name, "go_memstats_") && strings.HasSuffix(name, "_bytes"):
			return 512 << 10
		}
		return 0
	}
	for name, w := range want {
		g := got[name]
		if g == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if g.GetHelp() != w.GetHelp() || g.GetType() != w.GetType() || g.GetUnit() != w.GetUnit() || len(g.Metric) != 1 || len(w.Metric) != 1 ||
			fmt.Sprint(g.Metric[0].Label) != fmt.Sprint(w.Metric[0].Label) {
			t.Errorf("%s: %v\nclient_golang: %v", name, g, w)
			continue
		}
		gm, wm := g.Metric[0], w.Metric[0]
		if w.GetType() == dto.MetricType_SUMMARY {
			// No GC between the readings: the same pauses.
			if fmt.Sprint(gm.Summary) != fmt.Sprint(wm.Summary) {
				t.Errorf("%s: %v, client_golang %v", name, gm.Summary, wm.Summary)
			}
			continue
		}
		gv, wv := gm.GetGauge().GetValue()+gm.GetCounter().GetValue(), wm.GetGauge().GetValue()+wm.GetCounter().GetValue()
		if math.Abs(gv-wv) > tolerance(name) || (wv != 0) != (gv != 0) {
			t.Errorf("%s = %v, client_golang says %v", name, gv, wv)
		}
	}
}

// BenchmarkGoCollector is one gathering of the Go metrics, this collector's
// and client_golang's.
func BenchmarkGoCollector(b *testing.B) {
	for _, c := range []struct {
		name string
		c    prometheus.Collector
	}{{"ours", newGoCollector()}, {"client_golang", collectors.NewGoCollector()}} {
		s := newStaticGatherer()
		s.MustRegister(c.c)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
