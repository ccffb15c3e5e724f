package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// nftIncludeHost is the nft-only host with the ruleset the VM loads with
// nft -f: /etc/nftables.conf including a relative file, a glob of
// /etc/nftables.d, and a file inside a table.
func nftIncludeHost(t *testing.T) (dir, root string) {
	d := copyTree(t, "nft-only")
	root = filepath.Join(d, "root")
	src := filepath.Join(testenv.RepoDir(), "internal", "vmtest", "testdata", "rulesets.d", "files", "nft-include")
	copy := func(from, to string) {
		data, err := os.ReadFile(filepath.Join(src, from))
		must(t, err)
		writeFile(t, filepath.Join(root, to), string(data))
	}
	copy("nftables.conf", "etc/nftables.conf")
	copy("nftables-defines.nft", "etc/nftables-defines.nft")
	for _, f := range []string{"10-forward.nft", "20-nat.nft", "30-reject6.nft", "reject6.inc"} {
		copy(filepath.Join("nftables.d", f), filepath.Join("etc/nftables.d", f))
	}
	return d, root
}

// TestNftIncludeRequirements: the modules of the included files are
// required, each with the included file and line asking for it, and the
// included files are listed as read.
func TestNftIncludeRequirements(t *testing.T) {
	d, _ := nftIncludeHost(t)
	s, err := readSnapshot(t, hostAt(d))
	must(t, err)
	defer s.Done()
	spec := RequirementSpec{Rulesets: RulesetPaths("/etc/nftables.conf")}
	set := s.Requirements(spec, "nf_tables")
	for _, w := range []Provenance{
		{Name: "nf_tables", Source: "/etc/nftables.conf", Path: "/etc/nftables.conf"},
		{Name: "nft_ct", Source: "/etc/nftables.conf", Path: "/etc/nftables.d/10-forward.nft", Line: 4},
		{Name: "nft_limit", Source: "/etc/nftables.conf", Path: "/etc/nftables.d/10-forward.nft", Line: 6},
		{Name: "nft_log", Source: "/etc/nftables.conf", Path: "/etc/nftables.d/10-forward.nft", Line: 7},
		{Name: "nft_chain_nat", Source: "/etc/nftables.conf", Path: "/etc/nftables.d/20-nat.nft", Line: 3},
		{Name: "nft_masq", Source: "/etc/nftables.conf", Path: "/etc/nftables.d/20-nat.nft", Line: 4},
		{Name: "nft_reject_ipv6", Source: "/etc/nftables.conf", Path: "/etc/nftables.d/reject6.inc", Line: 3},
	} {
		w.order = 1
		if !slices.Contains(set.Found, w) {
			t.Errorf("%+v not found in %+v", w, set.Found)
		}
	}
	for _, p := range set.Found {
		if p.Name == "nft_nat" {
			t.Errorf("ct status $DNATED needs no nft_nat: %+v", p)
		}
	}
	if len(set.Rulesets) != 1 || set.Rulesets[0].Err != nil || len(set.Rulesets[0].Invalid) != 0 {
		t.Errorf("rulesets read: %+v", set.Rulesets)
	}
	var files []string
	for _, f := range s.SourceFiles(spec) {
		if f.Err != nil || !f.Enabled {
			t.Errorf("%+v", f)
		}
		files = append(files, f.Path)
	}
	want := []string{"/etc/nftables.conf", "/etc/nftables-defines.nft", "/etc/nftables.d/10-forward.nft", "/etc/nftables.d/20-nat.nft", "/etc/nftables.d/30-reject6.nft", "/etc/nftables.d/reject6.inc"}
	if !slices.Equal(files, want) {
		t.Errorf("files %q, want %q", files, want)
	}
}

// TestNftIncludeUnreadable: an included file that cannot be opened makes
// the ruleset an error (check says INCOMPLETE) and is listed unreadable;
// the other files still require their modules.
func TestNftIncludeUnreadable(t *testing.T) {
	d, root := nftIncludeHost(t)
	nat := filepath.Join(root, "etc/nftables.d/20-nat.nft")
	must(t, os.Remove(nat))
	must(t, os.Symlink("20-nat.nft", nat)) // a loop: it exists, and cannot be opened
	s, err := readSnapshot(t, hostAt(d))
	must(t, err)
	defer s.Done()
	spec := RequirementSpec{Rulesets: RulesetPaths("/etc/nftables.conf")}
	required, rulesets, _ := s.Required(spec, "nf_tables")
	if len(rulesets) != 1 || rulesets[0].Err == nil || !rulesets[0].Exists {
		t.Errorf("rulesets: %+v", rulesets)
	}
	if required["nft_limit"] == nil || required["nft_masq"] != nil {
		t.Errorf("required: %v", required)
	}
	found := false
	for _, f := range s.SourceFiles(spec) {
		if f.Path == "/etc/nftables.d/20-nat.nft" {
			found = f.Err != nil
		}
	}
	if !found {
		t.Errorf("the unreadable included file is not listed with its error")
	}
}

// TestNftIncludeDisabled: with nftables.service disabled nft reads
// nothing, and neither do the included files count.
func TestNftIncludeDisabled(t *testing.T) {
	d, root := nftIncludeHost(t)
	must(t, os.Remove(filepath.Join(root, "etc/systemd/system/sysinit.target.wants/nftables.service")))
	s, err := readSnapshot(t, hostAt(d))
	must(t, err)
	defer s.Done()
	spec := RequirementSpec{Rulesets: RulesetPaths("/etc/nftables.conf")}
	files := s.SourceFiles(spec)
	if len(files) != 1 || files[0].Path != "/etc/nftables.conf" || files[0].Enabled {
		t.Errorf("files: %+v", files)
	}
	if required, _, _ := s.Required(spec, "nf_tables"); len(required) != 0 {
		t.Errorf("required: %v", required)
	}
}

// TestRulesetGlobs: a glob of the spec names each file it matches, in
// sorted order and by its own format; one matching nothing names none.
func TestRulesetGlobs(t *testing.T) {
	d := copyTree(t, "nft-only")
	root := filepath.Join(d, "root")
	writeFile(t, filepath.Join(root, "etc/fw/b.nft"), "table ip6 t {\n\tchain c {\n\t\treject\n\t}\n}\n")
	writeFile(t, filepath.Join(root, "etc/fw/a.nft"), "table ip t {\n\tchain c {\n\t\tlimit rate 1/second\n\t}\n}\n")
	writeFile(t, filepath.Join(root, "etc/fw/.hidden.nft"), "table ip t {\n\tchain c {\n\t\tmasquerade\n\t}\n}\n")
	writeFile(t, filepath.Join(root, "etc/fw/rules.v6"), "*filter\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n")
	must(t, os.MkdirAll(filepath.Join(root, "etc/fw/dir.nft"), 0o755))
	s, err := readSnapshot(t, hostAt(d))
	must(t, err)
	defer s.Done()
	spec := RequirementSpec{Rulesets: RulesetPaths("/etc/fw/*", "/etc/none/*.nft")}
	if got, want := s.view.RulesetFiles(spec.Rulesets), []RulesetPath{{"/etc/fw/a.nft", FormatNftables, ""}, {"/etc/fw/b.nft", FormatNftables, ""}, {"/etc/fw/rules.v6", FormatIptables, FamilyIPv6}}; !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
	required, rulesets, _ := s.Required(spec, "nf_tables")
	var read []string
	for _, r := range rulesets {
		read = append(read, r.Path+" "+r.Format+" "+r.Family)
		if r.Err != nil || !r.Exists {
			t.Errorf("%+v", r)
		}
	}
	if want := []string{"/etc/fw/rules.v6 iptables-save ipv6", "/etc/fw/a.nft nftables ", "/etc/fw/b.nft nftables "}; !slices.Equal(read, want) {
		t.Errorf("rulesets %q, want %q", read, want)
	}
	if !slices.Equal(required["nft_limit"], []string{"/etc/fw/a.nft"}) || !slices.Equal(required["nft_reject_ipv6"], []string{"/etc/fw/b.nft"}) || required["nft_masq"] != nil {
		t.Errorf("required %v", required)
	}
	// A glob that cannot be expanded is reported, not taken for no file.
	_, rulesets, _ = s.Required(RequirementSpec{Rulesets: RulesetPaths("/etc/fw/[.nft")}, "nf_tables")
	if len(rulesets) != 1 || rulesets[0].Err == nil {
		t.Errorf("bad glob: %+v", rulesets)
	}
}
