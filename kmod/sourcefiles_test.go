package kmod

import (
	"os"
	"path/filepath"
	"testing"
)

// The files each source reads are listed when they exist, with whether
// their rules apply at boot and whether they could be opened.
func TestSourceFiles(t *testing.T) {
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	writeFile(t, filepath.Join(root, "etc/nftables.conf"), "table inet filter {\n}\n")
	rules := filepath.Join(root, "etc/iptables/rules.v4")
	must(t, os.Remove(rules))
	must(t, os.Symlink("rules.v4", rules)) // a loop: it exists, and cannot be opened
	s, err := readSnapshot(t, hostAt(d))
	if err != nil {
		t.Fatal(err)
	}
	spec := RequirementSpec{IncludeBoot: true, Rulesets: RulesetPaths(DefaultRulesets...)}
	got := map[string]SourceFile{}
	for _, f := range s.SourceFiles(spec) {
		got[f.Path] = f
	}
	for path, want := range map[string]struct {
		source           string
		enabled, readErr bool
	}{
		"/etc/iptables/rules.v4": {"iptables-save", true, true},
		"/etc/nftables.conf":     {"nftables", false, false}, // nftables.service is not enabled
		"/etc/modules":           {"modules-load.d", true, false},
		"/etc/modules-load.d":    {"modules-load.d", true, false},
		"/proc/cmdline":          {"cmdline", true, false},
	} {
		f, ok := got[path]
		if !ok {
			t.Errorf("%s not listed", path)
			continue
		}
		if f.Source != want.source || f.Enabled != want.enabled || (f.Err != nil) != want.readErr {
			t.Errorf("%s: got %+v, want %+v", path, f, want)
		}
	}
	for _, absent := range []string{"/etc/iptables/rules.v6", "/etc/sysconfig/iptables", "/run/modules-load.d"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s does not exist and is listed", absent)
		}
	}
	if files := s.SourceFiles(RequirementSpec{}); len(files) != 0 {
		t.Errorf("nothing configured, yet listed: %+v", files)
	}
}
