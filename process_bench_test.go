package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// BenchmarkProcess runs the built exporter on the Debian amd64 tree with 50
// modules required and loaded (and the default Go and process metrics),
// scrapes it b.N times over loopback from one client as Prometheus does,
// and reports the process's resident memory after the scrapes, its CPU
// time per scrape, and the scrape latency's median and 99th percentile.
// docs/benchmarks.md records `-benchtime 1000x`.
func BenchmarkProcess(b *testing.B) {
	h := testenv.NewKernelHost(b, "6.1.0-56-amd64", 50)
	args := []string{"--path.procfs=" + h.Proc, "--path.sysfs=" + h.Sys, "--path.rootfs=" + h.Root, "--log.level=warn"}
	for _, m := range h.Required {
		args = append(args, "--module="+m)
	}
	e := startExporter(b, args...)
	pid := strconv.Itoa(e.cmd.Process.Pid)
	req, err := http.NewRequest("GET", "http://"+e.addr+"/metrics", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
	scrape := func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), "kmod_module_loaded{") {
			b.Fatalf("scrape: %d %v", resp.StatusCode, err)
		}
	}
	scrape()
	cpu0 := cpuSeconds(b, pid)
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		scrape()
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	cpu := cpuSeconds(b, pid) - cpu0
	slices.Sort(latencies)
	status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(statusMiB(b, status, "VmRSS"), "rss-MiB")
	b.ReportMetric(statusMiB(b, status, "VmHWM"), "peak-rss-MiB")
	b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/scrape")
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1e3, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1e3, "p99-ms")
}

// cpuSeconds is a process's user and system time, from /proc/PID/stat.
func cpuSeconds(b *testing.B, pid string) float64 {
	data, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses; utime
	// and stime are the 14th and 15th fields, in clock ticks (100 a second).
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

func statusMiB(b *testing.B, status []byte, field string) float64 {
	m := regexp.MustCompile(field + `:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		b.Fatalf("no %s in /proc/PID/status", field)
	}
	kb, _ := strconv.ParseFloat(string(m[1]), 64)
	return kb / 1024
}
