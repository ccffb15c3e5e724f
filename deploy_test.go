package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// copyDir copies a directory tree, keeping links as links.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput()
	if err != nil {
		t.Fatalf("cp %s: %v %s", src, err, out)
	}
}

// hostTree lays a scenario out as one host tree (/, /proc, /sys), as a
// host mounted at /host looks, readable by any user.
func hostTree(t *testing.T, scenario string) string {
	t.Helper()
	host := t.TempDir()
	copyDir(t, filepath.Join("fixtures", scenario, "root"), host)
	for _, sub := range []string{"proc", "sys"} {
		must(t, os.MkdirAll(filepath.Join(host, sub), 0o755))
		copyDir(t, filepath.Join("fixtures", scenario, sub), filepath.Join(host, sub))
	}
	for dir := host; dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
		must(t, os.Chmod(dir, 0o755))
	}
	return host
}

// TestContainer builds the image FROM scratch with a dockerd of the test's
// own, runs it with the host network on a fixture mounted as the host,
// scrapes it, and checks it runs as uid 65534.
func TestContainer(t *testing.T) {
	dockerd, docker := testenv.Tool(t, "dockerd"), testenv.Tool(t, "docker")
	testenv.Root(t)
	dir := t.TempDir()
	sock := "unix://" + filepath.Join(dir, "docker.sock")
	ctx, cancel := context.WithCancel(context.Background())
	daemon := exec.CommandContext(ctx, dockerd, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"), "-H", sock, "--bridge=none", "--iptables=false", "--ip-forward=false",
		"--ip-masq=false", "--storage-driver=vfs")
	logs := &syncBuffer{}
	daemon.Stdout, daemon.Stderr = logs, logs
	must(t, daemon.Start())
	done := make(chan struct{})
	go func() { daemon.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		// dockerd leaves mounts (its network namespace, containers' shm)
		// under its directories.
		unmountUnder(dir)
	})
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(docker, append([]string{"-H", sock}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s\ndockerd:\n%s", strings.Join(args, " "), err, out, logs)
		}
		return strings.TrimSpace(string(out))
	}
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command(docker, "-H", sock, "info").Run() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("dockerd did not start:\n%s", logs)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The build context is what `make docker` makes: the Dockerfile and a
	// static binary in .build/.
	buildCtx := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(buildCtx, ".build"), 0o755))
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(buildCtx, ".build", "kmod_exporter"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v %s", err, out)
	}
	data, err := os.ReadFile("Dockerfile")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(buildCtx, "Dockerfile"), data, 0o644))
	run("build", "-q", "-t", "kmod-exporter:test", buildCtx)

	host := hostTree(t, "blacklisted")
	addr := freePort(t)
	// The documented line adds ",rslave", which needs the source to be a
	// shared mount, as / is on a systemd host; a test directory is not.
	id := run("run", "-d", "--network", "host", "-v", host+":/host:ro", "kmod-exporter:test",
		"--path.rootfs=/host", "--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--web.listen-address="+addr)
	t.Cleanup(func() { exec.Command(docker, "-H", sock, "rm", "-f", id).Run() })
	body := scrapeWhenUp(addr)
	if body == "" {
		t.Fatalf("no metrics from the container; its log:\n%s", run("logs", id))
	}
	for _, want := range []string{`kmod_module_blacklisted{module="nf_conntrack"} 1`, `kmod_scrape_collector_success{collector="modules"} 1`,
		`kmod_scrape_collector_success{collector="firewall"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("container metrics lack %q; the container's log:\n%s", want, run("logs", id))
		}
	}
	// On this machine's own /proc, x_tables' files are root-only (0440):
	// unprivileged, the exporter says so instead of failing.
	realAddr := freePort(t)
	realID := run("run", "-d", "--network", "host", "kmod-exporter:test", "--web.listen-address="+realAddr)
	t.Cleanup(func() { exec.Command(docker, "-H", sock, "rm", "-f", realID).Run() })
	real := scrapeWhenUp(realAddr)
	if fi, err := os.Stat("/proc/net/ip_tables_matches"); err == nil && fi.Mode().Perm()&0o004 == 0 {
		for _, want := range []string{`kmod_xtables_readable{family="ipv4"} 0`, `kmod_scrape_collector_success{collector="firewall"} 1`} {
			if !strings.Contains(real, want) {
				t.Errorf("unprivileged on a real /proc: %q missing", want)
			}
		}
	}
	if user := run("inspect", "--format", "{{.Config.User}}", id); user != "65534:65534" {
		t.Errorf("image user %q, want 65534:65534", user)
	}
	if top := run("top", id, "-o", "pid,uid,comm"); !strings.Contains(top, "65534") {
		t.Errorf("process not running as uid 65534:\n%s", top)
	}
}

// TestSystemdUnits verifies the shipped units with systemd itself and holds
// the service's sandboxing to the "OK" exposure level.
func TestSystemdUnits(t *testing.T) {
	analyze := testenv.Tool(t, "systemd-analyze")
	dir := t.TempDir()
	for _, unit := range []string{"kmod_exporter.service", "kmod_exporter-textfile.service", "kmod_exporter-textfile.timer"} {
		data, err := os.ReadFile(filepath.Join("deploy/systemd", unit))
		must(t, err)
		// Point ExecStart at the binary the tests built; systemd checks it exists.
		text := strings.ReplaceAll(string(data), "/usr/local/bin/kmod_exporter", binary)
		must(t, os.WriteFile(filepath.Join(dir, unit), []byte(text), 0o644))
	}
	for _, unit := range []string{"kmod_exporter.service", "kmod_exporter-textfile.service", "kmod_exporter-textfile.timer"} {
		out, err := exec.Command(analyze, "verify", filepath.Join(dir, unit)).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
		}
	}
	out, err := exec.Command(analyze, "security", "--offline=true", "--threshold=20", filepath.Join(dir, "kmod_exporter.service")).CombinedOutput()
	if err != nil {
		t.Errorf("exposure above 2.0 (OK): %v\n%s", err, out)
	}
}

// unmountUnder lazily unmounts everything mounted below dir, deepest first.
func unmountUnder(dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		exec.Command("umount", "-l", points[i]).Run()
	}
}

// scrapeWhenUp waits up to 20 s for the exporter at addr to answer and
// returns its metrics ("" if it never does).
func scrapeWhenUp(addr string) string {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode == 200 {
			return string(body)
		}
	}
	return ""
}
