package kmod

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

func TestParseIpsets(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []IpsetCreate
		invalid []int
	}{
		{"", nil, nil},
		// ipset save's own output.
		{"create blocklist hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x5e1d6f1a\nadd blocklist 192.0.2.1\n",
			[]IpsetCreate{{1, "blocklist", "hash:ip"}}, nil},
		{"# comment\n-N ports bitmap:port range 1-1024\ncreate -exist nets hash:net,iface family inet6\n",
			[]IpsetCreate{{2, "ports", "bitmap:port"}, {3, "nets", "hash:net,iface"}}, nil},
		{"create lonely\ncreate x hash\ncreate y hash:\ncreate z hash:ip/x\n", nil, []int{1, 2, 3, 4}},
		{"flush\ndestroy blocklist\nswap a b\n", nil, nil},
	} {
		got, invalid := ParseIpsets([]byte(c.in))
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: sets %+v, want %+v", c.in, got, c.want)
		}
		var lines []int
		for _, l := range invalid {
			lines = append(lines, l.Line)
		}
		if !slices.Equal(lines, c.invalid) {
			t.Errorf("%q: invalid lines %v, want %v", c.in, lines, c.invalid)
		}
	}
}

func FuzzParseIpsets(f *testing.F) {
	f.Add([]byte("create blocklist hash:ip family inet\nadd blocklist 192.0.2.1\n"))
	f.Add([]byte("-N x bitmap:port range 1-2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sets, invalid := ParseIpsets(data)
		if len(sets) > maxIpsetSets || len(sets)+len(invalid) > strings.Count(string(data), "\n")+1 {
			t.Fatalf("%d sets and %d invalid lines from %d lines", len(sets), len(invalid), strings.Count(string(data), "\n")+1)
		}
		for _, s := range sets {
			if !validIpsetType(s.Type) {
				t.Fatalf("invalid type %q accepted", s.Type)
			}
		}
	})
}

// TestIpsetSource: the sets of /etc/iptables/ipsets require ip_set and
// their types' modules at the line that creates them; `managers: []`
// reads none, and the file shows in the source files.
func TestIpsetSource(t *testing.T) {
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	writeFile(t, filepath.Join(root, "etc/iptables/ipsets"), "create blocklist hash:ip family inet hashsize 1024 maxelem 65536\nadd blocklist 192.0.2.1\ncreate ports bitmap:port range 1-1024\n")
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	s, err := readSnapshot(t, h)
	must(t, err)
	defer s.Done()
	set := s.Requirements(RequirementSpec{}, "legacy")
	want := []Provenance{
		{Name: "ip_set", Source: "/etc/iptables/ipsets", Path: "/etc/iptables/ipsets", Line: 1},
		{Name: "ip_set_hash:ip", Source: "/etc/iptables/ipsets", Path: "/etc/iptables/ipsets", Line: 1},
		{Name: "ip_set_bitmap:port", Source: "/etc/iptables/ipsets", Path: "/etc/iptables/ipsets", Line: 3},
	}
	if !slices.Equal(set.Found, want) {
		t.Errorf("found %+v\nwant %+v", set.Found, want)
	}
	if none := s.Requirements(RequirementSpec{Managers: []string{}}, "legacy"); len(none.Found) != 0 {
		t.Errorf("managers: [] still requires %+v", none.Found)
	}
	files := s.SourceFiles(RequirementSpec{})
	if !slices.ContainsFunc(files, func(f SourceFile) bool {
		return f.Source == "ipsets" && f.Path == "/etc/iptables/ipsets" && f.Err == nil
	}) {
		t.Errorf("source files %+v lack /etc/iptables/ipsets", files)
	}
}

// TestIpsetModulesResolve: on Debian's real trees every set type ipset
// creates resolves, through modules.alias, to its ip_set_ module.
func TestIpsetModulesResolve(t *testing.T) {
	trees, _ := testenv.KernelTrees(t)
	for release := range trees {
		kh := testenv.NewKernelHost(t, release, 1)
		s, err := readSnapshot(t, NewHost(Paths{Proc: kh.Proc, Sys: kh.Sys, Root: kh.Root}))
		must(t, err)
		for typ, want := range map[string]string{"hash:ip": "ip_set_hash_ip", "hash:net": "ip_set_hash_net", "hash:ip,port": "ip_set_hash_ipport", "bitmap:port": "ip_set_bitmap_port", "list:set": "ip_set_list_set"} {
			if got := s.Resolve(IpsetModule(typ)); !slices.Equal(got, []string{want}) {
				t.Errorf("%s: %s resolves to %q, want %s", release, IpsetModule(typ), got, want)
			}
		}
		s.Done()
	}
}
