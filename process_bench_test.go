package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
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
	e, pid := startBenchExporter(b)
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

// startBenchExporter starts the built exporter on the amd64 tree with 50
// netfilter modules required and loaded, and returns it and its pid.
func startBenchExporter(b *testing.B) (*exporter, string) {
	h := testenv.NewKernelHost(b, "6.1.0-56-amd64", 50)
	args := []string{"--path.procfs=" + h.Proc, "--path.sysfs=" + h.Sys, "--path.rootfs=" + h.Root, "--log.level=warn"}
	for _, m := range h.Required {
		args = append(args, "--module="+m)
	}
	e := startExporter(b, args...)
	return e, strconv.Itoa(e.cmd.Process.Pid)
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

// BenchmarkProcessWrk loads the same process with wrk, once with 1
// connection and once with 10, 10 s each, asking for gzip as Prometheus
// does, and reports each run's scrapes per second and latency median and
// 99th percentile, and the resident memory after both (docs/benchmarks.md
// records `-benchtime 1x`).
func BenchmarkProcessWrk(b *testing.B) {
	wrk := testenv.Tool(b, "wrk")
	e, pid := startBenchExporter(b)
	for i := 0; i < b.N; i++ {
		for _, c := range []struct{ threads, conns int }{{1, 1}, {2, 10}} {
			out, err := exec.Command(wrk, "-t"+strconv.Itoa(c.threads), "-c"+strconv.Itoa(c.conns), "-d10s", "--latency",
				"-H", "Accept-Encoding: gzip", "-H", "X-Prometheus-Scrape-Timeout-Seconds: 10", "http://"+e.addr+"/metrics").CombinedOutput()
			if err != nil {
				b.Fatalf("wrk: %v\n%s", err, out)
			}
			unit := "c" + strconv.Itoa(c.conns)
			b.ReportMetric(wrkValue(b, out, `Requests/sec:\s+([\d.]+)`), unit+"-scrapes/s")
			b.ReportMetric(wrkValue(b, out, `\s50%\s+([\d.]+\w+)`), unit+"-p50-ms")
			b.ReportMetric(wrkValue(b, out, `\s99%\s+([\d.]+\w+)`), unit+"-p99-ms")
			if strings.Contains(string(out), "Non-2xx") || strings.Contains(string(out), "Socket errors") {
				b.Errorf("wrk saw errors:\n%s", out)
			}
		}
	}
	status, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(statusMiB(b, status, "VmRSS"), "rss-MiB")
	b.ReportMetric(statusMiB(b, status, "VmHWM"), "peak-rss-MiB")
}

// wrkValue reads one figure of wrk's report; durations become milliseconds.
func wrkValue(b *testing.B, out []byte, pattern string) float64 {
	m := regexp.MustCompile(pattern).FindSubmatch(out)
	if m == nil {
		b.Fatalf("no %s in wrk's report:\n%s", pattern, out)
	}
	s := string(m[1])
	if d, err := time.ParseDuration(s); err == nil {
		return float64(d.Microseconds()) / 1e3
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		b.Fatalf("%q: %v", s, err)
	}
	return v
}

// BenchmarkShellDiagnosis times what an administrator would run instead:
// docs/bench/seed-diagnosis.sh, the source documents' diagnosis (lsmod |
// grep, grep -r modprobe.d, find /lib/modules, modinfo) for the same 50
// modules on the same tree. Compare with BenchmarkScrapeWarm.
func BenchmarkShellDiagnosis(b *testing.B) {
	bash, modinfo := testenv.Tool(b, "bash"), testenv.Tool(b, "modinfo")
	h := testenv.NewKernelHost(b, "6.1.0-56-amd64", 50)
	script := append([]string{"docs/bench/seed-diagnosis.sh", h.Proc, h.Root, h.Release}, h.Required...)
	env := append(os.Environ(), "PATH="+filepath.Dir(modinfo)+":"+os.Getenv("PATH"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bash, script...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil || strings.Count(string(out), "kmod_shell_module_loaded{") != len(h.Required) {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}
