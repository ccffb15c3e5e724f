package kmod

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// Two verdicts the booted kernels corrected (internal/vmtest).

// TestNftablesConfOnlyWhenEnabled: Debian ships /etc/nftables.conf with
// nftables.service disabled; the kernel then loads nothing from it.
func TestNftablesConfOnlyWhenEnabled(t *testing.T) {
	fixture := filepath.Join("..", "fixtures", "nft-only")
	root := testenv.CopyTree(t, filepath.Join(fixture, "root"))
	h := NewHost(Paths{Proc: filepath.Join(fixture, "proc"), Sys: filepath.Join(fixture, "sys"), Root: root})
	spec := RequirementSpec{Rulesets: RulesetPaths("/etc/nftables.conf")}
	for _, enabled := range []bool{true, false} {
		if !enabled {
			if err := os.Remove(filepath.Join(root, "etc/systemd/system/sysinit.target.wants/nftables.service")); err != nil {
				t.Fatal(err)
			}
		}
		s, err := readSnapshot(t, h)
		if err != nil {
			t.Fatal(err)
		}
		required, _, _ := s.Required(spec, "nf_tables")
		if _, got := required["nf_tables"]; got != enabled {
			t.Errorf("nftables.service enabled %v: nf_tables required %v (%v)", enabled, got, required)
		}
	}
}

// TestDependencyGoneFromModulesDep: with a dependency's file removed and
// depmod run again, modules.dep no longer names it, but the module's own
// depends= does and the kernel refuses the module ("Unknown symbol").
func TestDependencyGoneFromModulesDep(t *testing.T) {
	fixture := filepath.Join("..", "fixtures", "healthy")
	root := testenv.CopyTree(t, filepath.Join(fixture, "root"))
	dir := filepath.Join(root, "lib/modules/6.1.0-18-amd64")
	dep, err := os.ReadFile(filepath.Join(dir, "modules.dep"))
	if err != nil {
		t.Fatal(err)
	}
	dep = regexp.MustCompile(`(?m)^kernel/lib/libcrc32c\.ko[^:]*:.*\n`).ReplaceAll(dep, nil)
	dep = regexp.MustCompile(` kernel/lib/libcrc32c\.ko\S*`).ReplaceAll(dep, nil)
	files, _ := filepath.Glob(filepath.Join(dir, "kernel/lib/libcrc32c.ko*"))
	for _, f := range files {
		os.Remove(f)
	}
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), dep, 0o644); err != nil {
		t.Fatal(err)
	}
	// The fixture's /proc says libcrc32c is loaded; here it is not.
	proc := testenv.CopyTree(t, filepath.Join(fixture, "proc"))
	mods, _ := os.ReadFile(filepath.Join(proc, "modules"))
	mods = regexp.MustCompile(`(?m)^(libcrc32c|nf_conntrack|nf_defrag_ipv[46]) .*\n`).ReplaceAll(mods, nil)
	if err := os.WriteFile(filepath.Join(proc, "modules"), mods, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := readSnapshot(t, NewHost(Paths{Proc: proc, Sys: filepath.Join(fixture, "sys"), Root: root}))
	if err != nil {
		t.Fatal(err)
	}
	st := s.Module("nf_conntrack")
	if st.DepsOK || !slices.Contains(st.Deps, Dependency{Name: "libcrc32c", Gone: true}) {
		t.Errorf("nf_conntrack with libcrc32c gone: DepsOK %v, deps %+v", st.DepsOK, st.Deps)
	}
}

// TestRulesetModulesAsTheKernelLoads: the mappings the booted kernels
// showed (internal/vmtest's ruleset table), on Debian's real 6.1 tree.
func TestRulesetModulesAsTheKernelLoads(t *testing.T) {
	trees, _ := testenv.KernelTrees(t)
	var release string
	for r := range trees {
		if !strings.Contains(r, "cloud") {
			release = r
		}
	}
	s, err := readSnapshot(t, oracleHost(t, trees[release], release))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, rules, backend string
		want                 []string
	}{
		{"state is conntrack rev 1", "-A INPUT -m state --state NEW", "legacy", []string{"iptable_filter", "xt_conntrack", "nf_conntrack"}},
		{"LOG asks for the syslog logger", "-A INPUT -j LOG", "legacy", []string{"iptable_filter", "xt_LOG", "nf_log_syslog"}},
		{"NFLOG asks for nfnetlink_log", "-A INPUT -j NFLOG", "legacy", []string{"iptable_filter", "xt_NFLOG", "nfnetlink_log"}},
		{"icmp is in ip_tables on 6.1", "-A INPUT -p icmp -m icmp --icmp-type 8", "nf_tables", []string{"nf_tables", "ip_tables", "nft_compat"}},
		{"limit is xt_limit and nft_limit under iptables-nft", "-A INPUT -m limit --limit 5/min", "nf_tables", []string{"nf_tables", "xt_limit", "nft_compat", "nft_limit"}},
		{"limit under legacy", "-A INPUT -m limit --limit 5/min", "legacy", []string{"iptable_filter", "xt_limit"}},
	} {
		r := ParseRuleset([]byte("*filter\n:INPUT ACCEPT [0:0]\n"+tc.rules+"\nCOMMIT\n"), RulesetPath{Path: "/etc/iptables/rules.v4"})
		if got := s.RulesetModules(r, tc.backend); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	nft := ParseRuleset([]byte("table inet f {\n chain c {\n  log prefix \"x\" group 2\n  log\n }\n}\n"), RulesetPath{Path: "/etc/nftables.conf"})
	if got, want := s.RulesetModules(nft, ""), []string{"nf_tables", "nft_log", "nfnetlink_log", "nf_log_syslog"}; !slices.Equal(got, want) {
		t.Errorf("nft log: %v, want %v", got, want)
	}
}

// TestRulesetRuntimeModules: what the kernel requests by alias at run time
// for a rule (issue #15), resolved on Debian's real trees as the booted
// 6.1 and 6.12 kernels loaded them (internal/vmtest's runtime rows):
// nft_objref is a module on 6.1 and part of nf_tables on 6.12.
func TestRulesetRuntimeModules(t *testing.T) {
	trees, _ := testenv.KernelTrees(t)
	roots := maps.Clone(trees)
	// The booted kernels' trees, when the VM cache holds them.
	vm, _ := filepath.Glob(filepath.Join(testenv.RepoDir(), "testdata", "cache", "vm", "kernels", "6.*"))
	for _, d := range vm {
		roots[filepath.Base(d)] = d
	}
	ipt := "*raw\n-A PREROUTING -p tcp --dport 21 -j CT --helper ftp\n-A PREROUTING -p udp -j CT --helper snmp_trap\nCOMMIT\n*filter\n-A INPUT -m string --string x --algo bm\n-A INPUT -m string --string y --algo kmp\n-A INPUT -m string --string z --algo nosuch\nCOMMIT\n"
	nft := "table inet f {\n ct helper h { type \"ftp\" protocol tcp; }\n flowtable ft { devices = { lo }; }\n chain c {\n  ct helper set \"h\"\n  ct count over 1 notrack\n  flow add @ft\n }\n}\ntable netdev n { chain c { fwd to \"lo\" } }\ntable ip x { ct helper s { type \"nosuch\" protocol udp; } }\n"
	cases := []struct {
		name, rules, backend string
		want, want612        []string // want612: where 6.12 differs
	}{
		{"iptables-legacy", ipt, "legacy", []string{"iptable_raw", "nf_conntrack_ftp", "xt_tcpudp", "nf_nat_snmp_basic", "iptable_filter", "xt_string", "ts_bm", "ts_kmp", "xt_CT"}, nil},
		{"iptables-nft", ipt, "nf_tables", []string{"nf_tables", "nf_conntrack_ftp", "xt_tcpudp", "nft_compat", "nf_nat_snmp_basic", "xt_string", "ts_bm", "ts_kmp", "xt_CT"}, nil},
		{"nftables", nft, "", []string{"nf_tables", "nft_ct", "nf_conntrack", "nf_conntrack_ftp", "nf_flow_table_inet", "nft_objref", "nft_connlimit", "nft_flow_offload", "nft_fwd_netdev"},
			[]string{"nf_tables", "nft_ct", "nf_conntrack", "nf_conntrack_ftp", "nf_flow_table_inet", "nft_connlimit", "nft_flow_offload", "nft_fwd_netdev"}},
	}
	for release, root := range roots {
		s, err := readSnapshot(t, oracleHost(t, root, release))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			p := "/etc/iptables/rules.v4"
			if tc.backend == "" {
				p = "/etc/nftables.conf"
			}
			want := tc.want
			if strings.HasPrefix(release, "6.12.") && tc.want612 != nil {
				want = tc.want612
			}
			if got := s.RulesetModules(ParseRuleset([]byte(tc.rules), RulesetPath{Path: p}), tc.backend); !slices.Equal(got, want) {
				t.Errorf("%s on %s:\n got %v\nwant %v", tc.name, release, got, want)
			}
		}
	}
}
