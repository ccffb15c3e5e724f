package collector

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// The firewall collector reports whether the kernel registered the
// extensions the rulesets use, alone and beside the modules collector, with
// which it shares the scrape's module snapshot; the modules collector does
// not report them.
func TestXtablesRegisteredByFirewall(t *testing.T) {
	const dir = "../fixtures/ruleset-missing-module"
	families := []string{"kmod_xtables_match_registered", "kmod_xtables_target_registered"}
	want := goldenFamilies(t, dir+"/metrics.prom", families...)
	if !strings.Contains(want, `kmod_xtables_match_registered{family="ipv4",match="set",module="xt_set"} 0`) {
		t.Fatalf("the golden file lacks the unregistered set match:\n%s", want)
	}
	reqs := Requirements{Rulesets: kmod.DefaultRulesets}
	for _, names := range [][]string{{"firewall"}, {"firewall", "modules"}} {
		kc, err := New(Options{Host: fixtureHost(dir), Requirements: func() Requirements { return reqs }}, log.NewNopLogger(), names...)
		if err != nil {
			t.Fatal(err)
		}
		if err := testutil.CollectAndCompare(kc, strings.NewReader(want), families...); err != nil {
			t.Errorf("collectors %v: %v", names, err)
		}
	}
	kc, err := New(Options{Host: fixtureHost(dir), Requirements: func() Requirements { return reqs }}, log.NewNopLogger(), "modules")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(kc, families...); err != nil || n != 0 {
		t.Errorf("the modules collector reports %d x_tables registrations (%v)", n, err)
	}
}

// goldenFamilies is the lines of a golden metrics file that belong to the
// named families, HELP and TYPE included.
func goldenFamilies(t *testing.T, path string, names ...string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := lines.Text()
		for _, n := range names {
			if strings.HasPrefix(line, n+"{") || strings.HasPrefix(line, "# HELP "+n+" ") || strings.HasPrefix(line, "# TYPE "+n+" ") {
				out.WriteString(line + "\n")
			}
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
