package check

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/causes"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func run(t *testing.T, scenario string, opts Options, modules ...string) (string, int) {
	t.Helper()
	d := filepath.Join("..", "fixtures", scenario)
	view := kmod.NewHost(kmod.Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")}).View()
	defer view.Release()
	spec := kmod.RequirementSpec{Rulesets: kmod.RulesetPaths()}
	for _, m := range modules {
		spec.Modules = append(spec.Modules, kmod.Requirement{Name: m, Source: "config"})
	}
	var out strings.Builder
	code := Run(&out, view, spec, opts)
	return out.String(), code
}

// TestRunJSON: a required module that is not loaded fails the check with
// its alert's summary, the fix expanded for this host, and the runbook.
func TestRunJSON(t *testing.T) {
	out, code := run(t, "not-loaded", Options{Format: "json"}, "nf_conntrack", "xt_multiport")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Healthy || len(r.Modules) != 2 || r.Modules[0].Status != "FAIL" || r.Modules[1].Status != "OK" || len(r.Modules[1].Causes) != 0 {
		t.Fatalf("report %+v", r)
	}
	c := r.Modules[0].Causes
	if len(c) != 1 || c[0].Alert != causes.ModuleNotLoaded || c[0].Severity != causes.Critical ||
		c[0].Summary != "A kernel module the firewall needs is not loaded." ||
		!strings.HasPrefix(c[0].Fix, "On this host: check with `lsmod | grep nf_conntrack`") ||
		c[0].Runbook != causes.RunbookBase+"KmodModuleNotLoaded.md" {
		t.Errorf("causes %+v", c)
	}
}

func TestRunTable(t *testing.T) {
	out, code := run(t, "healthy", Options{Color: "always"}, "xt_multiport")
	if code != 0 || !strings.Contains(out, "\x1b[32mOK\x1b[0m") || !strings.HasSuffix(out, "\nhealthy: every required module is loaded or can be.\n") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	// Nothing required (no ruleset read, no module named): not "healthy".
	out, code = run(t, "healthy", Options{Color: "never"})
	if code != 0 || strings.Contains(out, "healthy") || !strings.HasSuffix(out, "\nno module is required here: no ruleset, firewall manager, boot list or configured module was found.\n") {
		t.Errorf("nothing required, exit %d:\n%s", code, out)
	}
	out, _ = run(t, "not-loaded", Options{Color: "never"}, "nf_conntrack")
	if !strings.Contains(out, "\nnf_conntrack: KmodModuleNotLoaded (critical)\n") || strings.Contains(out, "\x1b[") {
		t.Errorf("table:\n%s", out)
	}
}

func TestRunUnreadableHost(t *testing.T) {
	view := kmod.NewHost(kmod.Paths{Proc: "/nonexistent", Sys: "/nonexistent", Root: "/nonexistent"}).View()
	defer view.Release()
	if code := Run(&strings.Builder{}, view, kmod.RequirementSpec{}, Options{}); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}

func TestModuleState(t *testing.T) {
	d := causes.Diagnosis{Kernel: kmod.Kernel{ModuleSupport: true, ModulesDirPresent: true}}
	loaded := kmod.ModuleStatus{Loaded: true}
	for _, c := range []struct {
		severities []string
		want       string
	}{
		{nil, "OK"},
		{[]string{causes.Info}, "INFO"},
		{[]string{causes.Info, causes.Warning}, "WARN"},
		{[]string{causes.Warning, causes.Info}, "WARN"},
		{[]string{causes.Warning, causes.Critical}, "FAIL"},
	} {
		m := causes.ModuleReport{Status: loaded}
		for _, s := range c.severities {
			m.Causes = append(m.Causes, causes.Cause{Severity: s})
		}
		if got := moduleState(m, d); got != c.want {
			t.Errorf("%v: %s, want %s", c.severities, got, c.want)
		}
	}
}
