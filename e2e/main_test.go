package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/fixtures"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

var update = flag_update()

var binary string

// TestMain builds the exporter from the repository root and runs the
// tests there: they name the fixtures, alerts, deploy files and docs by
// their paths from it.
func TestMain(m *testing.M) {
	if err := os.Chdir(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "kmod_exporter_test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "kmod_exporter")
	// Built as `make build` builds it: static, as it ships.
	build := exec.Command("go", "build", "-trimpath", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the exporter:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort asks the kernel for an unused loopback port.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// exporter is a running exporter process, stopped when the test ends.
type exporter struct {
	addr string
	logs *testenv.SyncBuffer
	cmd  *exec.Cmd
}

func startExporter(t testing.TB, args ...string) *exporter {
	t.Helper()
	addr, logs, cmd := startProcess(t, "exporter", binary, func(addr string) []string {
		return append([]string{"--web.listen-address=" + addr}, args...)
	}, "/metrics")
	return &exporter{addr: addr, logs: logs, cmd: cmd}
}

// startProcess starts a server on a loopback port it picks (trying again
// if the port is taken meanwhile), waits until path answers 200, and stops
// it when the test ends.
func startProcess(t testing.TB, name, bin string, args func(addr string) []string, path string) (string, *testenv.SyncBuffer, *exec.Cmd) {
	t.Helper()
	var logs *testenv.SyncBuffer
	for attempt := 0; attempt < 3; attempt++ {
		addr := freePort(t)
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, args(addr)...)
		logs = &testenv.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		stop := func() { cancel(); <-done }
		exited := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !exited; {
			if resp, err := http.Get("http://" + addr + path); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					t.Cleanup(stop)
					return addr, logs, cmd
				}
			}
			select {
			case <-done:
				exited = true
			case <-time.After(20 * time.Millisecond):
			}
		}
		stop()
	}
	t.Fatalf("%s did not start:\n%s", name, logs)
	return "", nil, nil
}

func (e *exporter) scrape(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + e.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(body)
}

func scenarioArgs(name string) []string {
	d := filepath.Join("fixtures", name)
	args := []string{"--path.procfs=" + filepath.Join(d, "proc"), "--path.sysfs=" + filepath.Join(d, "sys"), "--path.rootfs=" + filepath.Join(d, "root"), "--web.disable-exporter-metrics"}
	if _, err := os.Stat(filepath.Join(d, "config.yml")); err == nil {
		args = append(args, "--config.file="+filepath.Join(d, "config.yml"))
	}
	return args
}

// volatile are series whose values change between runs; they are checked
// for presence, not compared with the golden file.
var volatile = regexp.MustCompile(`^(# (HELP|TYPE) )?kmod_(scrape_collector_duration_seconds|exporter_build_info|config_last_reload_success_timestamp_seconds)\b`)

// stable keeps the exporter's own series, without the volatile ones.
func stable(body string) string {
	var out strings.Builder
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if volatile.MatchString(line) {
			continue
		}
		if strings.HasPrefix(line, "kmod_") || strings.HasPrefix(line, "# HELP kmod_") || strings.HasPrefix(line, "# TYPE kmod_") {
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}

// TestScenarios runs the built exporter on every fixture scenario and
// compares its metrics with the scenario's golden metrics.prom.
func TestScenarios(t *testing.T) {
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			e := startExporter(t, scenarioArgs(name)...)
			body := e.scrape(t)
			for _, c := range []string{"kernel", "memory", "modules"} {
				for _, m := range []string{"kmod_scrape_collector_duration_seconds", "kmod_scrape_collector_success"} {
					if !strings.Contains(body, fmt.Sprintf("%s{collector=%q}", m, c)) {
						t.Errorf("%s missing for collector %s", m, c)
					}
				}
			}
			if !strings.Contains(body, "kmod_exporter_build_info{") {
				t.Error("kmod_exporter_build_info missing")
			}
			got := stable(body)
			golden := filepath.Join("fixtures", name, "metrics.prom")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run `make update-golden`)", err)
			}
			if got != string(want) {
				t.Errorf("metrics differ from %s (review, then `make update-golden`):\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// TestGoldenFilesPassPromtool checks every golden file with promtool's
// linter, the format and naming rules Prometheus itself applies.
func TestGoldenFilesPassPromtool(t *testing.T) {
	promtool := testenv.Tool(t, "promtool")
	for _, name := range fixtures.Names() {
		golden := filepath.Join("fixtures", name, "metrics.prom")
		f, err := os.Open(golden)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = f
		out, err := cmd.CombinedOutput()
		f.Close()
		if err != nil {
			t.Errorf("%s: promtool check metrics: %v\n%s", golden, err, out)
		}
	}
}

// TestThisHost runs the exporter with no flags but a port, as the README's
// first command does, on the machine running the tests. The embedded
// default names no module: what is required depends on the host.
func TestThisHost(t *testing.T) {
	e := startExporter(t)
	body := e.scrape(t)
	for _, want := range []string{"kmod_kernel_info{release=", "kmod_kernel_module_support ", `kmod_exporter_host_readable{filesystem="rootfs"`, `kmod_scrape_collector_success{collector="modules"} 1`, "go_goroutines "} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q", want)
		}
	}
	if _, err := os.Stat("/proc/modules"); err != nil {
		if !strings.Contains(body, "kmod_kernel_module_support 0") || !strings.Contains(e.logs.String(), "no loadable module support") {
			t.Errorf("a kernel without /proc/modules must be reported plainly; logs:\n%s", e.logs)
		}
	}
}
