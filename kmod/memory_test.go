package kmod

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
)

func TestParsePSI(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		some, full Pressure
		hasFull    bool
		wantErr    string
	}{
		{name: "both", in: "some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\nfull avg10=0.10 avg60=0.00 avg300=0.01 total=789\n",
			some: Pressure{1.5, 0.25, 0, 123456}, full: Pressure{0.1, 0, 0.01, 789}, hasFull: true},
		// The cpu file of kernels before 5.13 has no full line.
		{name: "some only", in: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0"},
		{name: "fields in another order, a newer one", in: "some total=5 avg300=3 avg60=2 avg10=1 avg3600=9\n",
			some: Pressure{1, 2, 3, 5}},
		{name: "other lines passed over", in: "other x=1\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=7\n\n",
			some: Pressure{TotalMicroseconds: 7}},
		{name: "empty", in: ""},
		{name: "not a number", in: "some avg10=x avg60=0.00 avg300=0.00 total=0\n", wantErr: `line 1: "avg10=x" is not a number`},
		{name: "a field missing", in: "full avg10=0.00 avg60=0.00 total=0\n", hasFull: true, wantErr: "line 1: 3 of"},
		{name: "no value", in: "some avg10 avg60=0 avg300=0 total=0\n", wantErr: `line 1: "avg10" is not a number`},
		{name: "negative total", in: "some avg10=0 avg60=0 avg300=0 total=-1\n", wantErr: "total=-1"},
	} {
		some, full, hasFull, err := parsePSI([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || some != tc.some || full != tc.full || hasFull != tc.hasFull {
			t.Errorf("%s: got %+v %+v %v %v", tc.name, some, full, hasFull, err)
		}
	}
}

func TestParseMemAvailable(t *testing.T) {
	for _, tc := range []struct {
		name, in         string
		total, available uint64
		ok               bool
		wantErr          string
	}{
		{name: "a real meminfo", in: "MemTotal:        8128348 kB\nMemFree:          402228 kB\nMemAvailable:    6001234 kB\nBuffers:  1 kB\n",
			total: 8128348, available: 6001234, ok: true},
		{name: "before 3.14: no MemAvailable", in: "MemTotal:        8128348 kB\nMemFree:          402228 kB\n", total: 8128348},
		{name: "no unit, no newline", in: "MemAvailable: 5\nMemTotal: 10", total: 10, available: 5, ok: true},
		{name: "empty", in: ""},
		{name: "not a number", in: "MemTotal: lots kB\nMemAvailable: 1 kB\n", wantErr: `line 1: MemTotal: "lots" is not a number`},
		{name: "names are exact", in: "MemTotalX: 1 kB\nMemAvailable: 1 kB\n", available: 1},
	} {
		total, available, ok, err := parseMemAvailable([]byte(tc.in))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || ok {
				t.Errorf("%s: ok %v error %v, want %q", tc.name, ok, err, tc.wantErr)
			}
			continue
		}
		if err != nil || total != tc.total || available != tc.available || ok != tc.ok {
			t.Errorf("%s: got %d %d %v %v", tc.name, total, available, ok, err)
		}
	}
}

// TestReadMemory: the files as a kernel has them, or lacks them.
func TestReadMemory(t *testing.T) {
	meminfo := "MemTotal: 1000 kB\nMemAvailable: 250 kB\n"
	psi := "some avg10=1.00 avg60=2.00 avg300=3.00 total=4\nfull avg10=5.00 avg60=6.00 avg300=7.00 total=8\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  Memory
		err   string
	}{
		{"both", map[string]string{"meminfo": meminfo, "pressure/memory": psi},
			Memory{PSISupported: true, Some: Pressure{1, 2, 3, 4}, Full: Pressure{5, 6, 7, 8}, HasFull: true, AvailableRatio: 0.25, HasAvailable: true}, ""},
		{"no PSI", map[string]string{"meminfo": meminfo}, Memory{AvailableRatio: 0.25, HasAvailable: true}, ""},
		{"no meminfo", map[string]string{"pressure/memory": psi}, Memory{}, "meminfo"},
		{"bad PSI", map[string]string{"meminfo": meminfo, "pressure/memory": "some avg10=x\n"}, Memory{}, "pressure/memory: line 1"},
	} {
		dir := t.TempDir()
		for name, content := range tc.files {
			must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		}
		got, err := readMemory(hostfs.NewDir(dir))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}
