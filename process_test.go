package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
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

// TestNetOctetsReadAgainAfterReuse: a reading of /proc/self/net/netstat
// serves the scrapes of the next netstatReuse, and no longer: the file is
// read again, and its new values reported, after that, or when the clock
// went back.
func TestNetOctetsReadAgainAfterReuse(t *testing.T) {
	c := newProcessCollector().(*processCollector)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	c.netstat.path = filepath.Join(t.TempDir(), "netstat")
	write := func(in, out int) {
		t.Helper()
		content := fmt.Sprintf("TcpExt: SyncookiesSent\nTcpExt: 0\nIpExt: InNoRoutes InOctets OutOctets\nIpExt: 0 %d %d\n", in, out)
		if err := os.WriteFile(c.netstat.path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, wantIn, wantOut float64) {
		t.Helper()
		in, out, err := c.netOctets()
		if err != nil || in != wantIn || out != wantOut {
			t.Errorf("%s: %v %v %v, want %v %v", what, in, out, err, wantIn, wantOut)
		}
	}
	write(10, 20)
	check("first", 10, 20)
	write(11, 21)
	now = now.Add(netstatReuse - time.Millisecond)
	check("within the reuse", 10, 20)
	now = now.Add(time.Millisecond)
	check("after it", 11, 21)
	write(12, 22)
	now = now.Add(-time.Second)
	check("clock gone back", 12, 22)
}
