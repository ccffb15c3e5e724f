package e2e

import (
	"context"
	"debug/elf"
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
	logs := &testenv.SyncBuffer{}
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

	// The build context is what `make docker` makes: the Dockerfile, its
	// .dockerignore and a static binary per architecture in .build/.
	buildCtx := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		out := filepath.Join(buildCtx, ".build", "linux-"+arch, "kmod_exporter")
		build := exec.Command("go", "build", "-trimpath", "-o", out, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("static build for %s: %v %s", arch, err, out)
		}
	}
	for _, f := range []string{"Dockerfile", ".dockerignore"} {
		data, err := os.ReadFile(f)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(buildCtx, f), data, 0o644))
	}
	labels := []string{"--build-arg", "VERSION=1.2.3", "--build-arg", "REVISION=0123abc"}
	run(append([]string{"build", "-q", "--platform", "linux/amd64", "--build-arg", "TARGETARCH=amd64", "-t", "kmod-exporter:test"}, append(labels, buildCtx)...)...)
	for label, want := range map[string]string{"source": "https://github.com/kmod-exporter/kmod_exporter", "version": "1.2.3", "revision": "0123abc", "licenses": "Apache-2.0"} {
		if got := run("inspect", "--format", `{{index .Config.Labels "org.opencontainers.image.`+label+`"}}`, "kmod-exporter:test"); got != want {
			t.Errorf("label org.opencontainers.image.%s = %q, want %q", label, got, want)
		}
	}
	// arm64: the same Dockerfile picks the cross-built binary by
	// TARGETARCH. The classic builder here cannot set another platform on
	// a FROM scratch image (moby: "does not match the specified
	// platform"); BuildKit (make docker-push) does, so this checks the
	// binary the image carries, not the image's platform field.
	run(append([]string{"build", "-q", "--build-arg", "TARGETARCH=arm64", "-t", "kmod-exporter:test-arm64"}, append(labels, buildCtx)...)...)
	armID := run("create", "--network", "none", "kmod-exporter:test-arm64")
	t.Cleanup(func() { exec.Command(docker, "-H", sock, "rm", "-f", armID).Run() })
	extracted := filepath.Join(t.TempDir(), "kmod_exporter")
	run("cp", armID+":/bin/kmod_exporter", extracted)
	if f, err := elf.Open(extracted); err != nil || f.Machine != elf.EM_AARCH64 {
		t.Errorf("the arm64 image's binary: %v %v", err, f)
	} else {
		f.Close()
	}

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

// unitFile reads a shipped unit as its directives, each key with every
// value it is given.
func unitFile(t *testing.T, name string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("deploy/systemd", name))
	must(t, err)
	directives := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			directives[k] = append(directives[k], v)
		}
	}
	return directives
}

var exposure = regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d)`)

// TestSystemdUnits verifies the shipped units with systemd itself, and
// checks that each service's `systemd-analyze security` exposure is the
// one docs/deploy.md records.
func TestSystemdUnits(t *testing.T) {
	analyze := testenv.Tool(t, "systemd-analyze")
	dir := t.TempDir()
	units := []string{"kmod_exporter.service", "kmod_exporter.socket", "kmod_exporter-textfile.service", "kmod_exporter-textfile.timer"}
	for _, unit := range units {
		data, err := os.ReadFile(filepath.Join("deploy/systemd", unit))
		must(t, err)
		// Point ExecStart at the binary the tests built; systemd checks it exists.
		text := strings.ReplaceAll(string(data), "/usr/local/bin/kmod_exporter", binary)
		must(t, os.WriteFile(filepath.Join(dir, unit), []byte(text), 0o644))
	}
	for _, unit := range units {
		out, err := exec.Command(analyze, "verify", filepath.Join(dir, unit)).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
		}
	}
	doc, err := os.ReadFile("docs/deploy.md")
	must(t, err)
	for _, unit := range []string{"kmod_exporter.service", "kmod_exporter-textfile.service"} {
		out, _ := exec.Command(analyze, "security", "--offline=true", filepath.Join(dir, unit)).CombinedOutput()
		m := exposure.FindSubmatch(out)
		if m == nil {
			t.Errorf("systemd-analyze security %s: no exposure level\n%s", unit, out)
			continue
		}
		if row := fmt.Sprintf("| `%s` | %s ", unit, m[1]); !strings.Contains(string(doc), row) {
			t.Errorf("docs/deploy.md does not record %s's exposure %s (a row starting %q)", unit, m[1], row)
		}
		if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2 {
			t.Errorf("%s: exposure %s, above 2.0 (OK)", unit, m[1])
		}
	}
}

// TestSystemdUnitsLeaveReadsVisible: the services' sandboxing hides none
// of what the exporter reads. ProtectKernelModules=yes did: it makes
// /lib/modules and /usr/lib/modules inaccessible, so the kernel and
// modules collectors failed and every module series disappeared.
func TestSystemdUnitsLeaveReadsVisible(t *testing.T) {
	for _, unit := range []string{"kmod_exporter.service", "kmod_exporter-textfile.service"} {
		d := unitFile(t, unit)
		for _, v := range d["ProtectKernelModules"] {
			if v != "no" {
				t.Errorf("%s: ProtectKernelModules=%s hides /lib/modules and /usr/lib/modules", unit, v)
			}
		}
		for _, key := range []string{"InaccessiblePaths", "TemporaryFileSystem", "BindPaths", "BindReadOnlyPaths", "RootDirectory", "RootImage", "PrivateNetwork"} {
			for _, v := range d[key] {
				if key != "PrivateNetwork" || v != "no" {
					t.Errorf("%s: %s=%s changes what the exporter sees", unit, key, v)
				}
			}
		}
		if v := d["ProcSubset"]; len(v) > 0 && v[len(v)-1] == "pid" {
			t.Errorf("%s: ProcSubset=pid hides /proc/modules and /proc/net", unit)
		}
		if v := d["ProtectProc"]; len(v) > 0 && v[len(v)-1] == "noaccess" {
			t.Errorf("%s: ProtectProc=noaccess hides /proc/self, which the process metrics read", unit)
		}
		// Module loading stays impossible without ProtectKernelModules.
		if !slices.Equal(d["CapabilityBoundingSet"], []string{""}) || !slices.ContainsFunc(d["SystemCallFilter"], func(v string) bool {
			return strings.HasPrefix(v, "~") && strings.Contains(v, "@module")
		}) {
			t.Errorf("%s: CapabilityBoundingSet must be empty and @module filtered", unit)
		}
		if !slices.Equal(d["ReadOnlyPaths"], []string{"/"}) || !slices.Equal(d["ProtectSystem"], []string{"strict"}) {
			t.Errorf("%s: everything must be read-only", unit)
		}
	}
	if d := unitFile(t, "kmod_exporter.service"); len(d["ReadWritePaths"]) > 0 || !slices.Equal(d["DynamicUser"], []string{"yes"}) {
		t.Error("kmod_exporter.service writes nothing and runs as a dynamic user")
	}
}

// TestTextfileOnDebianDirectory: Debian's prometheus-node-exporter ships
// its textfile directory root:root 0755. The textfile unit runs as root
// with an empty capability bounding set, and a read-write path on that
// directory only; this runs the unit's ExecStart the same way (setpriv
// drops every capability) into such a directory, and shows that an
// unprivileged user, or root without capabilities in a directory it does
// not own, gets an error naming the directory and the fix.
func TestTextfileOnDebianDirectory(t *testing.T) {
	setpriv := testenv.Tool(t, "setpriv")
	testenv.Root(t)
	d := unitFile(t, "kmod_exporter-textfile.service")
	if len(d["ExecStart"]) != 1 {
		t.Fatalf("ExecStart: %q", d["ExecStart"])
	}
	exec := strings.Fields(d["ExecStart"][0])
	output, ok := strings.CutPrefix(exec[len(exec)-1], "--output.file=")
	if !ok || exec[0] != "/usr/local/bin/kmod_exporter" {
		t.Fatalf("ExecStart %q: want /usr/local/bin/kmod_exporter ... --output.file=PATH", d["ExecStart"][0])
	}
	if want := "-" + filepath.Dir(output); !slices.Equal(d["ReadWritePaths"], []string{want}) {
		t.Errorf("ReadWritePaths %q, want only %s (the directory of --output.file)", d["ReadWritePaths"], want)
	}
	if output != "/var/lib/prometheus/node-exporter/kmod.prom" {
		t.Errorf("--output.file=%s: Debian's node_exporter reads /var/lib/prometheus/node-exporter", output)
	}
	if !slices.Equal(d["User"], []string{"root"}) || len(d["DynamicUser"]) > 0 || !slices.Equal(d["CapabilityBoundingSet"], []string{""}) || !slices.Equal(d["NoNewPrivileges"], []string{"yes"}) {
		t.Errorf("the unit must run as root (the directory's owner) with no capabilities: User=%q DynamicUser=%q CapabilityBoundingSet=%q", d["User"], d["DynamicUser"], d["CapabilityBoundingSet"])
	}

	// The directory as Debian ships it, with a path readable to the
	// unprivileged runs below.
	top := t.TempDir()
	must(t, os.Chmod(top, 0o755))
	for dir := top; dir != "/" && dir != os.TempDir(); dir = filepath.Dir(dir) {
		must(t, os.Chmod(dir, 0o755))
	}
	textdir := filepath.Join(top, "node-exporter")
	must(t, os.Mkdir(textdir, 0o755))
	must(t, os.Chown(textdir, 0, 0))
	host := hostTree(t, "blacklisted")
	args := []string{"--path.rootfs=" + host, "--path.procfs=" + host + "/proc", "--path.sysfs=" + host + "/sys"}
	noCaps := []string{"--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--no-new-privs", "--"}

	target := filepath.Join(textdir, "kmod.prom")
	_, stderr, code := runOutputs(t, setpriv, append(append(noCaps, binary, "--output.file="+target), args...)...)
	if code != 0 {
		t.Fatalf("as root without capabilities in root:root 0755: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "running as root") {
		t.Error("root without capabilities is warned about as if privileged")
	}
	fi, err := os.Stat(target)
	must(t, err)
	data, err := os.ReadFile(target)
	must(t, err)
	if fi.Mode().Perm() != 0o644 || !strings.Contains(string(data), `kmod_module_blacklisted{module="nf_conntrack"} 1`) ||
		!strings.Contains(string(data), `kmod_scrape_collector_success{collector="modules"} 1`) {
		t.Errorf("%s: mode %v, want 0644 (node_exporter runs as another user) and the module series", target, fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(textdir); len(entries) != 1 {
		t.Errorf("the atomic write left %d files", len(entries))
	}

	// The failures name the directory and the fix.
	for _, c := range []struct {
		name  string
		owner int
		argv  []string
	}{
		{"an unprivileged user", 0, []string{"--reuid=65534", "--regid=65534", "--clear-groups", "--"}},
		{"root without capabilities, directory owned by another user", 65534, noCaps},
	} {
		must(t, os.Chown(textdir, c.owner, c.owner))
		_, stderr, code := runOutputs(t, setpriv, append(append(c.argv, binary, "--output.file="+filepath.Join(textdir, "other.prom")), args...)...)
		if code != 1 || !strings.Contains(stderr, "cannot create files in "+textdir) || !strings.Contains(stderr, "run as the directory's owner") ||
			!strings.Contains(stderr, "chmod g+w "+textdir) {
			t.Errorf("%s: exit %d, want 1 and the directory and fix named:\n%s", c.name, code, stderr)
		}
	}
	_, stderr, code = runOutputs(t, binary, append([]string{"--output.file=" + filepath.Join(top, "absent", "kmod.prom")}, args...)...)
	if code != 1 || !strings.Contains(stderr, filepath.Join(top, "absent")+" does not exist: install node_exporter") {
		t.Errorf("missing directory: exit %d\n%s", code, stderr)
	}
}

// TestSocketActivation runs the exporter as the shipped socket unit would
// start it: systemd-socket-activate holds the listening socket and passes
// it, as systemd does, to the service's ExecStart, which has no
// --web.systemd-socket. The exporter must serve on that socket and not
// on --web.listen-address.
func TestSocketActivation(t *testing.T) {
	activate := testenv.Tool(t, "systemd-socket-activate")
	sock := unitFile(t, "kmod_exporter.socket")
	defaultPort := defaultPort(t)
	if !slices.Equal(sock["ListenStream"], []string{defaultPort}) || !slices.Equal(sock["Accept"], []string{"no"}) {
		t.Errorf("kmod_exporter.socket: ListenStream=%q Accept=%q, want %s and no", sock["ListenStream"], sock["Accept"], defaultPort)
	}
	svc := unitFile(t, "kmod_exporter.service")
	if !slices.Equal(svc["ExecStart"], []string{"/usr/local/bin/kmod_exporter $ARGS"}) {
		t.Fatalf("kmod_exporter.service ExecStart=%q", svc["ExecStart"])
	}
	unused := freePort(t)
	addr, logs, _ := startProcess(t, "socket-activated exporter", activate, func(addr string) []string {
		return append([]string{"--listen=" + addr, binary, "--web.listen-address=" + unused}, scenarioArgs("blacklisted")...)
	}, "/metrics")
	body := scrapeWhenUp(addr)
	if !strings.Contains(body, `kmod_module_blacklisted{module="nf_conntrack"} 1`) {
		t.Errorf("no module series on the activated socket:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "systemd activated listeners") {
		t.Errorf("the exporter did not say it serves the systemd socket:\n%s", logs)
	}
	if _, err := http.Get("http://" + unused + "/metrics"); err == nil {
		t.Error("with a systemd socket, --web.listen-address is listened on too")
	}
}

// defaultListen is how --help shows the default of --web.listen-address.
var defaultListen = regexp.MustCompile(`--web\.listen-address=:(\d+)`)

// defaultPort is the port the exporter listens on by default, as its
// --help says.
func defaultPort(t *testing.T) string {
	t.Helper()
	stdout, stderr, _ := runOutputs(t, binary, "--help")
	m := defaultListen.FindStringSubmatch(stdout + stderr)
	if m == nil {
		t.Fatalf("--help shows no default --web.listen-address:\n%s%s", stdout, stderr)
	}
	return m[1]
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
