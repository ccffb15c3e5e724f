package vmtest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/check"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// TestVM boots Debian's real kernels and checks the exporter against them:
// the harness itself, every documented cause, every ruleset, and the
// shipped systemd units. All guests are booted first, longest first and
// one per CPU, then each part is checked.
func TestVM(t *testing.T) {
	// The suite boots some thirty guests under TCG, about a quarter of an
	// hour: go test's default timeout (10 minutes) would end it midway.
	if d, ok := t.Deadline(); ok && time.Until(d) < vmSuiteTime {
		testenv.Missing(t, fmt.Sprintf("a test timeout of %s or more (this run has %s left)", vmSuiteTime, time.Until(d).Round(time.Second)),
			"make vmtest, or go test -timeout 30m -run TestVM ./internal/vmtest")
	}
	ks := Kernels(t)
	var specs []Spec
	causes := causeBoots(t, ks)
	specs = append(specs, managerBoots(t, ks)...) // the longest
	specs = append(specs, causes[:len(ks)]...)    // the long "causes" boots
	specs = append(specs, rulesetBoots(t, ks)...)
	specs = append(specs, systemdBoot(t, ks))
	specs = append(specs, causes[len(ks):]...)
	specs = append(specs, harnessBoots(ks)...)
	results := boots(t, specs)
	keep(results)
	t.Run("harness", func(t *testing.T) { checkHarness(t, ks, results) })
	t.Run("causes", func(t *testing.T) { checkCauses(t, ks, results) })
	t.Run("rulesets", func(t *testing.T) { checkRulesets(t, ks, results) })
	t.Run("systemd", func(t *testing.T) { checkSystemd(t, ks, results) })
	t.Run("managers", func(t *testing.T) { checkManagers(t, ks, results) })
}

// vmSuiteTime is what TestVM needs on CI's 2-core machine, with margin.
const vmSuiteTime = 25 * time.Minute

// bin holds the static binaries copied into every guest.
var bin struct {
	once            sync.Once
	exporter, guest string
	err             error
}

// binaries builds the exporter as `make build` does (static) and the
// guest helper, once per test binary.
func binaries(t testing.TB) (exporter, guest string) {
	t.Helper()
	bin.once.Do(func() {
		dir, err := os.MkdirTemp("", "vmtest-bin")
		if err != nil {
			bin.err = err
			return
		}
		bin.exporter, bin.guest = filepath.Join(dir, "kmod_exporter"), filepath.Join(dir, "guest")
		for out, pkg := range map[string]string{bin.exporter: ".", bin.guest: "./internal/vmtest/guest"} {
			cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
			cmd.Dir = testenv.RepoDir()
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				bin.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if bin.err != nil {
		t.Fatal(bin.err)
	}
	return bin.exporter, bin.guest
}

// host is the healthy Debian firewall host every scenario starts from: the
// healthy fixture's /etc (rules.v4 with conntrack, state, multiport, set and
// recent; the boot list; the legacy backend) and the ipset its rules use.
func host(t testing.TB, scripts ...string) Layer {
	t.Helper()
	exporter, guest := binaries(t)
	repo := testenv.RepoDir()
	files := []File{
		{Path: "/vmtest/kmod_exporter", HostPath: exporter, Mode: 0o755},
		{Path: "/vmtest/guest", HostPath: guest, Mode: 0o755},
		{Path: "/etc/iptables/ipsets", Data: []byte("create blocklist hash:ip family inet hashsize 1024 maxelem 65536\n")},
	}
	script := readTestdata(t, "lib.sh")
	for _, s := range scripts {
		script += "\n" + readTestdata(t, s)
	}
	files = append(files, File{Path: "/vmtest/scenarios.sh", Data: []byte(script)})
	return Layer{Host: filepath.Join(repo, "fixtures", "healthy", "root", "etc"), Guest: "/etc", Files: files}
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoDir(), "internal", "vmtest", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withoutModule is a copy of a kernel's tree lacking one module, indexed
// again by the host's depmod: an installed release that lacks it.
func withoutModule(t testing.TB, k Kernel, module string) Kernel {
	t.Helper()
	depmod := testenv.Tool(t, "depmod")
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", k.Dir+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v\n%s", k.Dir, err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "lib", "modules", k.Release, "kernel", "net", "netfilter", module+".ko*"))
	if len(files) != 1 {
		t.Fatalf("%s: %d files for %s", k.Release, len(files), module)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(depmod, "-b", dir, k.Release).CombinedOutput(); err != nil {
		t.Fatalf("depmod: %v\n%s", err, out)
	}
	return Kernel{Release: k.Release, Dir: dir}
}

// boots runs specs in order, one per CPU at a time (each TCG guest keeps a
// core busy), and returns their results by name. VMTEST_ONLY (a regular
// expression) boots only the specs it matches.
func boots(t *testing.T, specs []Spec) map[string]*Result {
	t.Helper()
	results := map[string]*Result{}
	var mu sync.Mutex
	only := regexp.MustCompile(os.Getenv("VMTEST_ONLY"))
	queue := make(chan Spec, len(specs))
	for _, s := range specs {
		if only.MatchString(s.Name) {
			queue <- s
		}
	}
	close(queue)
	t.Run("boot", func(t *testing.T) {
		var wg sync.WaitGroup
		for range max(1, runtime.NumCPU()) {
			wg.Go(func() {
				for s := range queue {
					t.Run(s.Name, func(t *testing.T) {
						r := Boot(t, s)
						mu.Lock()
						results[s.Name] = r
						mu.Unlock()
					})
				}
			})
		}
		wg.Wait()
	})
	if t.Failed() {
		t.FailNow()
	}
	return results
}

// verdict is `kmod_exporter check --output=json`.
type verdict struct{ check.Report }

func (v verdict) module(name string) (check.ModuleReport, bool) {
	for _, m := range v.Modules {
		if m.Module == name {
			return m, true
		}
	}
	return check.ModuleReport{}, false
}

// causeIDs are the verdict's causes as "Alert key=value ..." over the
// identifying labels, like the alert chain's.
func (v verdict) causeIDs() []string {
	var out []string
	for _, c := range v.HostCauses {
		out = append(out, id(c.Alert, c.Labels))
	}
	for _, m := range v.Modules {
		for _, c := range m.Causes {
			l := map[string]string{"module": m.Module}
			for k, v := range c.Labels {
				l[k] = v
			}
			out = append(out, id(c.Alert, l))
		}
	}
	return testenv.Sorted(out)
}

var identifying = []string{"module", "dependency", "path", "line", "release"}

func id(alert string, labels map[string]string) string {
	s := alert
	for _, l := range identifying {
		if v, ok := labels[l]; ok && v != "" && (l != "release" || alert == "KmodNextBootModuleMissing") {
			s += " " + l + "=" + v
		}
	}
	return s
}

// scenario is one scenario's record from a guest.
type scenario struct {
	name    string
	r       *Result
	verdict verdict
	exit    string
	loaded  map[string]bool
}

func (s scenario) file(name string) string { return s.r.File(s.name + "/" + name) }

func readScenario(t *testing.T, r *Result, name string) scenario {
	t.Helper()
	s := scenario{name: name, r: r, loaded: map[string]bool{}}
	raw := s.file("check.json")
	if err := json.Unmarshal([]byte(raw), &s.verdict); err != nil {
		t.Fatalf("%s: check --output=json: %v\n%s\nstderr: %s\nscript log:\n%s", name, err, raw, s.file("check.err"), tail(r.File("script.log"), 30))
	}
	s.exit = strings.TrimSpace(s.file("check.exit"))
	for _, m := range strings.Fields(s.file("proc_modules")) {
		s.loaded[m] = true
	}
	return s
}
