package collector

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
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
	reqs := Requirements{Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}
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

// TestXtablesFamilyConfigured: a ruleset's configured family is the
// family its matches are asked of. The healthy host's rules.v4, configured
// as IPv6 on a kernel with both families' x_tables, is reported against
// ip6_tables' registrations, none against ip_tables'.
func TestXtablesFamilyConfigured(t *testing.T) {
	const dir = "../fixtures/healthy"
	proc := testenv.CopyTree(t, dir+"/proc")
	for _, f := range []string{"matches", "names", "targets"} {
		data, err := os.ReadFile(filepath.Join(proc, "net", "ip_tables_"+f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "matches" {
			data = []byte(strings.ReplaceAll(string(data), "recent\n", "")) // unregistered in IPv6 only
		}
		testenv.WriteFile(t, filepath.Join(proc, "net", "ip6_tables_"+f), string(data))
	}
	host := kmod.NewHost(kmod.Paths{Proc: proc, Sys: dir + "/sys", Root: dir + "/root"})
	for _, c := range []struct {
		entry       kmod.RulesetPath
		want, wrong string
	}{
		{kmod.RulesetPath{Path: "/etc/iptables/rules.v4"}, `kmod_xtables_match_registered{family="ipv4",match="recent",module="xt_recent"} 1`, `family="ipv6",match=`},
		{kmod.RulesetPath{Path: "/etc/iptables/rules.v4", Family: kmod.FamilyIPv6}, `kmod_xtables_match_registered{family="ipv6",match="recent",module="xt_recent"} 0`, `family="ipv4",match=`},
	} {
		reqs := Requirements{Rulesets: []kmod.RulesetPath{c.entry}}
		kc, err := New(Options{Host: host, Requirements: func() Requirements { return reqs }}, log.NewNopLogger(), "firewall")
		if err != nil {
			t.Fatal(err)
		}
		families, err := kc.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := text(t, families)
		if !strings.Contains(got, c.want) || strings.Contains(got, c.wrong) {
			t.Errorf("%+v: want %s and no %s in\n%s", c.entry, c.want, c.wrong, got)
		}
	}
}
