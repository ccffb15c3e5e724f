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
		required, rulesets, _ := s.Required(RequirementSpec{Rulesets: paths}, "nf_tables")
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
		Rulesets:    []string{"/etc/iptables/rules.v4"},
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
