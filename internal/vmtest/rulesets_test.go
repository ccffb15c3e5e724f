package vmtest

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// rulesetReasons are the written reasons for a module the kernel loaded
// that the exporter does not require, or the other way round, by ruleset
// scenario ("*" for all). Anything else is an unexplained difference.
var rulesetReasons = map[string]map[string]string{
	"*": {},
}

// rulesetBoots load every ruleset the project ships or tests into each
// kernel with its real tool.
func rulesetBoots(t *testing.T, ks []Kernel) []Spec {
	repo := testenv.RepoDir()
	var specs []Spec
	for _, k := range ks {
		l := host(t, append([]string{"rulesets.sh"}, rulesetScripts(t)...)...)
		l.Files = append(l.Files, dirFiles(t, filepath.Join(repo, "internal", "vmtest", "testdata", "rulesets.d", "files"), "/vmtest/rulesets.d")...)
		l.Files = append(l.Files,
			File{Path: "/vmtest/log.rules", HostPath: filepath.Join(repo, "internal", "vmtest", "testdata", "log.rules")},
			File{Path: "/vmtest/nft-only.conf", HostPath: filepath.Join(repo, "fixtures", "nft-only", "root", "etc", "nftables.conf")},
			File{Path: "/vmtest/proto.rules", HostPath: filepath.Join(repo, "internal", "vmtest", "testdata", "proto.rules")},
			File{Path: "/vmtest/proto.rules6", HostPath: filepath.Join(repo, "internal", "vmtest", "testdata", "proto.rules6")},
			File{Path: "/vmtest/ct-status.nft", HostPath: filepath.Join(repo, "internal", "vmtest", "testdata", "ct-status.nft")})
		// Sixteen rulesets, each judged with a reset and two exporter
		// runs: past the default 8 minutes on a loaded TCG host.
		specs = append(specs, Spec{Name: k.Release + "/rulesets", Kernel: k, Layers: []Layer{RootLayer(), k.Tree(), l},
			Script: ". /vmtest/scenarios.sh\n", Timeout: 16 * time.Minute})
	}
	return specs
}

// rulesetScripts are the scripts of testdata/rulesets.d, in name order:
// more rulesets judged in the same boot, with their files under
// testdata/rulesets.d/files (in the guest under /vmtest/rulesets.d).
func rulesetScripts(t *testing.T) []string {
	names, _ := filepath.Glob(filepath.Join(testenv.RepoDir(), "internal", "vmtest", "testdata", "rulesets.d", "*.sh"))
	slices.Sort(names)
	for i, n := range names {
		names[i] = filepath.Join("rulesets.d", filepath.Base(n))
	}
	return names
}

// checkRulesets compares the modules each kernel loaded for a ruleset with
// those the exporter requires from the same file.
func checkRulesets(t *testing.T, ks []Kernel, results map[string]*Result) {
	judgeBoots(t, ks, results, "rulesets", "ruleset", rulesetReasons)
}

// judgeBoots compares, in each kernel's boot named boot, every scenario
// that loaded something (a directory with load.exit): the modules the
// kernel loaded against those the exporter requires. Every difference
// needs a written reason; the table goes to the log and VMTEST_TABLE.
func judgeBoots(t *testing.T, ks []Kernel, results map[string]*Result, boot, what string, reasons map[string]map[string]string) {
	var table strings.Builder
	fmt.Fprintf(&table, "| %s | kernel | loaded by the kernel | required by the exporter | differences |\n|---|---|---|---|---|\n", what)
	for _, k := range ks {
		r := results[k.Release+"/"+boot]
		if r == nil {
			continue
		}
		deps := modulesDep(t, k)
		for _, name := range loadedScenarios(r) {
			if row, ok := judgeScenario(t, k, readScenario(t, r, name), deps, reasons); ok {
				table.WriteString(row)
			}
		}
	}
	t.Logf("\n%s", table.String())
	if dir := os.Getenv("VMTEST_TABLE"); dir != "" {
		os.WriteFile(filepath.Join(dir, boot+".md"), []byte(table.String()), 0o644)
	}
}

// loadedScenarios are the scenarios of a boot that loaded rules (those
// with load.exit), in the order they were observed; one never observed
// comes last, and fails when read.
func loadedScenarios(r *Result) []string {
	timing := r.File("timing")
	var names []string
	for f := range r.Files {
		if name, ok := strings.CutSuffix(f, "/load.exit"); ok {
			names = append(names, name)
		}
	}
	at := func(name string) int {
		if i := strings.Index("\n"+timing, "\n"+name+" "); i >= 0 {
			return i
		}
		return len(timing) + 1
	}
	slices.SortFunc(names, func(a, b string) int { return at(a) - at(b) })
	return names
}

// judgeScenario is one scenario's row of the table; false when the tool
// that loads the rules failed.
func judgeScenario(t *testing.T, k Kernel, s scenario, deps map[string][]string, reasons map[string]map[string]string) (string, bool) {
	name := s.name
	if ex := strings.TrimSpace(s.file("load.exit")); ex != "0" {
		t.Errorf("%s %s: the tool failed (exit %s):\n%s", k.Release, name, ex, s.file("load.log"))
		return "", false
	}
	before := s.file("before.rules")
	if before == "" {
		before = s.file("before")
	}
	loaded := minus(strings.Fields(s.file("after")), strings.Fields(before))
	var required []string
	for _, m := range s.verdict.Modules {
		if !m.Builtin {
			required = append(required, m.Module)
		}
	}
	closure := slices.Clone(required)
	for _, m := range required {
		closure = append(closure, deps[m]...)
	}
	var diffs []string
	explain := func(m, what string) {
		reason := reasons[name][m]
		if reason == "" {
			reason = reasons["*"][m]
		}
		if reason == "" {
			t.Errorf("%s %s: %s %s, with no written reason", k.Release, name, m, what)
			reason = "UNEXPLAINED"
		}
		diffs = append(diffs, fmt.Sprintf("%s %s: %s", m, what, reason))
	}
	for _, m := range loaded {
		if !slices.Contains(closure, m) {
			explain(m, "loaded, not required")
		}
	}
	for _, m := range required {
		if !slices.Contains(loaded, m) && !strings.Contains("\n"+before, "\n"+m+"\n") {
			explain(m, "required, not loaded")
		}
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s |\n", name, k.Release, strings.Join(loaded, " "), strings.Join(testenv.Sorted(required), " "), strings.Join(diffs, "<br>")), true
}

// modulesDep maps each module of a kernel's tree to its dependencies.
func modulesDep(t *testing.T, k Kernel) map[string][]string {
	f, err := os.Open(filepath.Join(k.Dir, "lib", "modules", k.Release, "modules.dep"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	name := func(p string) string {
		b := path.Base(p)
		b = b[:strings.Index(b, ".ko")]
		return strings.ReplaceAll(b, "-", "_")
	}
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		mod, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, d := range strings.Fields(deps) {
			out[name(mod)] = append(out[name(mod)], name(d))
		}
	}
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
