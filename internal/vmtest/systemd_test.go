package vmtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// SystemdRoot is the Debian system with systemd that .ci/vmdata builds.
func SystemdRoot(t testing.TB) Layer {
	t.Helper()
	dir := filepath.Join(CacheDir(), "systemd-root")
	if _, err := os.Stat(filepath.Join(dir, ".done")); err != nil {
		testenv.Missing(t, "the systemd guest root in testdata/cache/vm", "run `make vmdata` (needs mmdebstrap and Debian's package archive)")
	}
	return Layer{Host: dir, Guest: "/", Skip: []string{".done", "dev", "proc", "sys", "var/cache/apt", "var/lib/apt/lists"}}
}

var collectorSuccess = regexp.MustCompile(`(?m)^kmod_scrape_collector_success\{collector="([a-z]+)"\} ([01])$`)

// checkScrape: every collector succeeded and the module series are there.
func checkScrape(t *testing.T, what, text string) {
	t.Helper()
	m := collectorSuccess.FindAllStringSubmatch(text, -1)
	if len(m) < 5 {
		t.Errorf("%s: %d collectors reported, want 5:\n%s", what, len(m), tail(text, 20))
	}
	for _, c := range m {
		if c[2] != "1" {
			t.Errorf("%s: collector %s failed", what, c[1])
		}
	}
	for _, s := range []string{`kmod_kernel_modules_dir_present 1`, `kmod_module_present_on_disk{module="nf_conntrack"} 1`, `kmod_module_loaded{module="nf_conntrack"} 1`} {
		if !strings.Contains(text, "\n"+s+"\n") {
			t.Errorf("%s: no %q", what, s)
		}
	}
}

// systemdBoot boots Debian with systemd as PID 1 and installs the shipped
// units as a package would (binary in /usr/local/bin, units in
// /etc/systemd/system, defaults in /etc/default); the script runs the
// service, the socket and the textfile timer, with Debian's node_exporter
// reading the textfile.
func systemdBoot(t *testing.T, ks []Kernel) Spec {
	root := SystemdRoot(t)
	exporter, _ := binaries(t)
	repo := testenv.RepoDir()
	unit := func(name string) File {
		return File{Path: "/etc/systemd/system/" + name, HostPath: filepath.Join(repo, "deploy", "systemd", name), Mode: 0o644}
	}
	k := ks[len(ks)-1]
	files := Layer{Files: []File{
		{Path: "/usr/local/bin/kmod_exporter", HostPath: exporter, Mode: 0o755},
		{Path: "/etc/default/kmod_exporter", HostPath: filepath.Join(repo, "deploy", "systemd", "kmod_exporter.default")},
		unit("kmod_exporter.service"), unit("kmod_exporter.socket"),
		unit("kmod_exporter-textfile.service"), unit("kmod_exporter-textfile.timer"),
	}}
	return Spec{Name: k.Release + "/systemd", Kernel: k, Init: "systemd", Memory: 1536,
		Layers: []Layer{root, k.Tree(), files}, Script: readTestdata(t, "systemd.sh")}
}

// checkSystemd: the units work under a real systemd.
func checkSystemd(t *testing.T, ks []Kernel, results map[string]*Result) {
	r := results[ks[len(ks)-1].Release+"/systemd"]
	if r == nil {
		return
	}
	checkScrape(t, "service", r.File("service.prom"))
	if st := r.File("service.status"); !regexp.MustCompile(`Uid:\s+[1-9]`).MatchString(st) || !strings.Contains(st, "CapEff:\t0000000000000000") {
		t.Errorf("the service runs with privileges:\n%s", st)
	}
	if e := strings.TrimSpace(r.File("reload.exit")); e == "0" || !strings.Contains(r.File("reload.err"), "403") {
		t.Errorf("POST /-/reload without --web.enable-lifecycle: exit %s, %s", e, r.File("reload.err"))
	}
	if h := r.File("hidden.prom"); !strings.Contains(h, "\n"+`kmod_scrape_collector_success{collector="modules"} 0`+"\n") {
		t.Errorf("with ProtectKernelModules=yes (the old units) the modules collector still succeeds: the test cannot see the bug")
	}
	if !strings.Contains(r.File("reloaded.prom"), "\nkmod_config_last_reload_successful 1\n") {
		t.Errorf("systemctl reload: kmod_config_last_reload_successful is not 1")
	}
	if j := r.File("service.journal"); strings.Contains(j, "collector failed") || !strings.Contains(j, "starting kmod_exporter") {
		t.Errorf("the service's journal shows a failed collector, or is not its own:\n%s", tail(j, 20))
	}
	if j := r.File("socket.journal"); strings.Contains(j, "collector failed") || !strings.Contains(j, "Listening on systemd activated listeners") {
		t.Errorf("the socket-activated service's journal shows a failed collector, or no socket activation:\n%s", tail(j, 20))
	}
	if b, a := strings.TrimSpace(r.File("socket.before")), strings.TrimSpace(r.File("socket.after")); b == "active" || a != "active" {
		t.Errorf("socket activation: service %q before the first scrape, %q after", b, a)
	}
	checkScrape(t, "socket-activated service", r.File("socket.prom"))

	if d := strings.TrimSpace(r.File("textfile.dir")); d != "root:root 755" {
		t.Errorf("Debian's node_exporter directory is %q, want root:root 755 as shipped", d)
	}
	if a := strings.TrimSpace(r.File("timer.active")); a != "active" {
		t.Errorf("the textfile timer is %q after enable --now", a)
	}
	if res := strings.TrimSpace(r.File("textfile.result")); res != "success" {
		t.Errorf("textfile service: %s\n%s", res, r.File("textfile.journal"))
	}
	if f := strings.TrimSpace(r.File("textfile.file")); f != "root:root 644" {
		t.Errorf("kmod.prom is %q, want root:root 644", f)
	}
	if ls := r.File("textfile.ls"); strings.Contains(ls, ".tmp") {
		t.Errorf("a temporary file is left in the textfile directory:\n%s", ls)
	}
	node := r.File("node.prom")
	checkScrape(t, "node_exporter's textfile", node)
	if !regexp.MustCompile(`(?m)^node_textfile_mtime_seconds\{file="[^"]*kmod\.prom"\} `).MatchString(node) || !strings.Contains(node, "\nnode_textfile_scrape_error 0\n") {
		t.Errorf("node_exporter does not read kmod.prom cleanly (active: %s)", r.File("node.active"))
	}
	if t.Failed() {
		t.Logf("script log:\n%s\nservice journal:\n%s\nsocket journal:\n%s", tail(r.File("script.log"), 40), tail(r.File("service.journal"), 20), tail(r.File("socket.journal"), 20))
	}
}
