package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRequiredKeepsSpecOrder: each ruleset format has its own source, yet
// the rulesets read, and a module's sources, follow the order the spec
// lists the files in, whichever format comes first.
func TestRequiredKeepsSpecOrder(t *testing.T) {
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	writeFile(t, filepath.Join(root, "etc/nftables.conf"), "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority 0; policy drop;\n\t}\n}\n")
	must(t, os.MkdirAll(filepath.Join(root, "etc/systemd/system/multi-user.target.wants"), 0o755))
	must(t, os.Symlink("/lib/systemd/system/nftables.service", filepath.Join(root, "etc/systemd/system/multi-user.target.wants/nftables.service")))
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	for _, paths := range [][]string{
		{"/etc/nftables.conf", "/etc/iptables/rules.v4"},
		{"/etc/iptables/rules.v4", "/etc/nftables.conf"},
	} {
		s, err := readSnapshot(t, h)
		must(t, err)
		required, rulesets, _ := s.Required(RequirementSpec{Rulesets: RulesetPaths(paths...)}, "nf_tables")
		s.Done()
		var read []string
		for _, r := range rulesets {
			read = append(read, r.Path)
		}
		if !slices.Equal(read, paths) {
			t.Errorf("spec %q: rulesets read in order %q", paths, read)
		}
		if got := required["nf_tables"]; !slices.Equal(got, paths) {
			t.Errorf("spec %q: nf_tables required by %q", paths, got)
		}
	}
}

// TestRequirementsProvenance: each requirement says which file and line
// asks for it, and keeps the source metrics show.
func TestRequirementsProvenance(t *testing.T) {
	s := snapshot(t, "healthy")
	spec := RequirementSpec{
		Modules:     []Requirement{{Name: "xt_recent", Source: "flag"}},
		IncludeBoot: true,
		Rulesets:    RulesetPaths("/etc/iptables/rules.v4"),
	}
	set := s.Requirements(spec, "legacy")
	want := []Provenance{
		{Name: "xt_recent", Source: "flag"},
		{Name: "nf_conntrack", Source: "modules-load.d", Path: "/etc/modules-load.d/iptables.conf", Line: 2},
		{Name: "ipt_state", Source: "modules-load.d", Path: "/etc/modules-load.d/iptables.conf", Line: 8},
	}
	for _, w := range want {
		if !slices.Contains(set.Found, w) {
			t.Errorf("%+v not found in %+v", w, set.Found)
		}
	}
	if i := slices.IndexFunc(set.Found, func(p Provenance) bool { return p.Name == "iptable_filter" }); i < 0 ||
		set.Found[i].Source != "/etc/iptables/rules.v4" || set.Found[i].Path != "/etc/iptables/rules.v4" {
		t.Errorf("the ruleset's table: %+v", set.Found)
	}
	if files := (bootListSource{}).Files(nil, spec); !slices.Contains(files, "/etc/modules") || !slices.Contains(files, "/etc/modules-load.d") {
		t.Errorf("boot list files: %q", files)
	}
}

// TestRulesetFamilyConfigured: on Debian's real 6.1 tree, the same IPv6
// rules at a name that says nothing (/srv/fw/rules) require IPv4's modules
// when their family is guessed, and IPv6's (ip6t_rt, ip6_tables, which
// holds 6.1's icmp6) when the configuration gives it; ip6tables' own save
// file is IPv6 by its directory.
func TestRulesetFamilyConfigured(t *testing.T) {
	const rules = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT\n-A INPUT -m rt --rt-type 0 -j DROP\nCOMMIT\n"
	// ufw disabled and not read: the host is only the tree and the files.
	h := ufwHost(t, "no", nil, map[string]string{"/srv/fw/rules": rules, "/var/lib/ip6tables/rules-save": rules})
	ipv6 := []string{"ip6table_filter", "ip6_tables", "ip6t_rt"}
	for _, c := range []struct {
		entry  RulesetPath
		family string
		want   []string
	}{
		{RulesetPath{Path: "/srv/fw/rules"}, FamilyIPv4, []string{"iptable_filter", "xt_icmp6", "xt_rt"}},
		{RulesetPath{Path: "/srv/fw/rules", Family: FamilyIPv6}, FamilyIPv6, ipv6},
		{RulesetPath{Path: "/srv/fw/*", Format: FormatIptables, Family: FamilyIPv6}, FamilyIPv6, ipv6},
		{RulesetPath{Path: "/var/lib/ip6tables/rules-save"}, FamilyIPv6, ipv6},
	} {
		s, err := readSnapshot(t, h)
		must(t, err)
		spec := RequirementSpec{Rulesets: []RulesetPath{c.entry}, Managers: []string{}}
		set := s.Requirements(spec, "legacy")
		var got []string
		for m, sources := range s.Resolved(set) {
			if !slices.Equal(sources, []string{set.Rulesets[0].Path}) {
				t.Errorf("%+v: %s required by %q", c.entry, m, sources)
			}
			got = append(got, m)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			t.Errorf("%+v: required %q, want %q", c.entry, got, want)
		}
		if len(set.Rulesets) != 1 || set.Rulesets[0].Family != c.family || set.Rulesets[0].Format != FormatIptables || len(set.Rulesets[0].Invalid) != 0 {
			t.Errorf("%+v: read as %+v", c.entry, set.Rulesets)
		}
		s.Done()
	}
}
