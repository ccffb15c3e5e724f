package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// Heap and stacks, against the binary's pages in memory.
	b.ReportMetric(statusMiB(b, status, "RssAnon"), "rss-anon-MiB")
	b.ReportMetric(statusMiB(b, status, "RssFile"), "rss-file-MiB")
	b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/scrape")
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1e3, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1e3, "p99-ms")
	// At rest, as between Prometheus' scrapes: the handler hands the
	// memory of the last scrapes back once none came for a second.
	time.Sleep(2 * time.Second)
	status, err = os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(statusMiB(b, status, "VmRSS"), "rest-rss-MiB")
	b.ReportMetric(statusMiB(b, status, "RssAnon"), "rest-rss-anon-MiB")
}

// startBenchExporter starts the built exporter on the amd64 tree with 50
// netfilter modules required and loaded, and returns it and its pid.
func startBenchExporter(b *testing.B) (*exporter, string) {
	h := testenv.NewKernelHost(b, testenv.Release(b, "amd64"), 50)
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
	h := testenv.NewKernelHost(b, testenv.Release(b, "amd64"), 50)
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

// floorEnv names, in the environment of a re-run test binary, the files
// whose bytes the floor server answers with (plain and gzip).
const floorEnv = "KMOD_EXPORTER_FLOOR_BODY"

// The floor server: this test binary, re-run with floorEnv set, serves the
// exporter's own answer as cached bytes from a plain net/http server (the
// gzip one when the client asks for gzip) and does nothing else. It runs
// before TestMain, so it does not build the exporter.
func init() {
	body := os.Getenv(floorEnv)
	if body == "" || len(os.Args) < 2 {
		return
	}
	plain, err1 := os.ReadFile(body)
	zipped, err2 := os.ReadFile(body + ".gz")
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err1, err2)
		os.Exit(2)
	}
	http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		b := plain
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
		// Its only client is fetch, which asks for exactly gzip or identity.
		if r.Header.Get("Accept-Encoding") == "gzip" {
			b = zipped
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	})
	fmt.Fprintln(os.Stderr, http.ListenAndServe(os.Args[1], nil))
	os.Exit(1)
}

// startFloor starts the floor server answering with the exporter's current
// answer, fetched from e, plain and gzip.
func startFloor(b *testing.B, e *exporter) string {
	dir := b.TempDir()
	// The floor serves the exporter's steady answer: a family is sent
	// compressed only once it stayed unchanged for a second (the handler's
	// deflateAfter), so the first answers are larger, and a floor serving
	// those would be slowed by bytes the exporter no longer sends.
	c := &http.Client{}
	fetch(b, c, "http://"+e.addr+"/metrics", "gzip")
	time.Sleep(1500 * time.Millisecond)
	for range 10 {
		fetch(b, c, "http://"+e.addr+"/metrics", "gzip")
	}
	for _, enc := range []string{"identity", "gzip"} {
		body, _ := fetch(b, &http.Client{}, "http://"+e.addr+"/metrics", enc)
		name := filepath.Join(dir, "body")
		if enc == "gzip" {
			name += ".gz"
		}
		if err := os.WriteFile(name, body, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.Setenv(floorEnv, filepath.Join(dir, "body"))
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	addr, _, _ := startProcess(b, "floor server", self, func(addr string) []string { return []string{addr} }, "/metrics")
	return addr
}

// fetch makes one scrape as Prometheus does (its Accept header, a scrape
// timeout, and the given Accept-Encoding) and returns the body as sent.
func fetch(b *testing.B, c *http.Client, url, encoding string) ([]byte, time.Duration) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", prometheusAccept)
	req.Header.Set("Accept-Encoding", encoding)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("%s: %d %v", url, resp.StatusCode, err)
	}
	return body, took
}

// prometheusAccept is the Accept header Prometheus 3 sends by default.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

// BenchmarkHTTPFloor runs the exporter (amd64 tree, 50 required modules,
// Go and process metrics on) and the floor server (the same answer as
// cached bytes, from a plain net/http server) side by side in one run:
// one keep-alive client scrapes them alternately b.N times each, with gzip
// and without, and reports each one's latency median and 99th percentile
// and the exporter's ratio to the floor; then 10 clients load each server
// in turn for 2 s, twice, and it reports the scrapes per second of each and
// the floor's throughput over the exporter's. docs/benchmarks.md records
// `-benchtime 2000x`.
func BenchmarkHTTPFloor(b *testing.B) {
	e, _ := startBenchExporter(b)
	floor := startFloor(b, e)
	urls := map[string]string{"exporter": "http://" + e.addr + "/metrics", "floor": "http://" + floor + "/metrics"}
	report := map[string]float64{}
	b.ResetTimer()
	for _, enc := range []string{"gzip", "identity"} {
		lat := map[string][]time.Duration{}
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
		for _, who := range []string{"exporter", "floor"} {
			fetch(b, c, urls[who], enc) // connect
		}
		for i := 0; i < b.N; i++ {
			// Alternate which goes first, so neither always follows the other.
			order := []string{"exporter", "floor"}
			if i%2 == 1 {
				order[0], order[1] = order[1], order[0]
			}
			for _, who := range order {
				_, took := fetch(b, c, urls[who], enc)
				lat[who] = append(lat[who], took)
			}
		}
		q := map[string][2]float64{}
		for who, l := range lat {
			slices.Sort(l)
			q[who] = [2]float64{float64(l[len(l)/2].Microseconds()) / 1e3, float64(l[len(l)*99/100].Microseconds()) / 1e3}
		}
		report[enc+"-p50-ms"], report[enc+"-p99-ms"] = q["exporter"][0], q["exporter"][1]
		report[enc+"-floor-p50-ms"], report[enc+"-floor-p99-ms"] = q["floor"][0], q["floor"][1]
		report[enc+"-p50-ratio"], report[enc+"-p99-ratio"] = q["exporter"][0]/q["floor"][0], q["exporter"][1]/q["floor"][1]
	}
	rate := map[string]float64{}
	for range 2 {
		for _, who := range []string{"floor", "exporter"} {
			rate[who] += load(b, urls[who], 10, 2*time.Second) / 2
		}
	}
	b.StopTimer()
	report["c10-scrapes/s"], report["c10-floor-scrapes/s"] = rate["exporter"], rate["floor"]
	report["c10-floor/exporter"] = rate["floor"] / rate["exporter"]
	for unit, v := range report {
		b.ReportMetric(v, unit)
	}
}

// load scrapes url from n keep-alive clients at once, asking for gzip, for
// the given time, and returns the scrapes per second.
func load(b *testing.B, url string, n int, d time.Duration) float64 {
	var total atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for range n {
		wg.Go(func() {
			t := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			// Connections left open would be the next load's garbage to
			// scan: each costs the client two goroutines.
			defer t.CloseIdleConnections()
			c := &http.Client{Transport: t}
			for time.Now().Before(stop) {
				fetch(b, c, url, "gzip")
				total.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(total.Load()) / d.Seconds()
}
