package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// firewalldHost is the healthy fixture with Debian's firewalld package
// installed (its files as the package ships them), iptables and ipset
// installed, and firewalld.service enabled when enable.
func firewalldHost(t *testing.T, enable bool) (root string, h func() *Snapshot) {
	t.Helper()
	pkg := testenv.Package(t, "firewalld")
	d := copyTree(t, "healthy")
	root = filepath.Join(d, "root")
	must(t, os.CopyFS(filepath.Join(root, "etc/firewalld"), os.DirFS(filepath.Join(pkg, "etc/firewalld"))))
	must(t, os.CopyFS(filepath.Join(root, "usr/lib/firewalld"), os.DirFS(filepath.Join(pkg, "usr/lib/firewalld"))))
	must(t, os.MkdirAll(filepath.Join(root, "usr/sbin"), 0o755))
	for _, tool := range []string{"iptables", "ip6tables", "ipset"} {
		must(t, os.Symlink("/etc/alternatives/"+tool, filepath.Join(root, "usr/sbin", tool)))
	}
	if enable {
		must(t, os.MkdirAll(filepath.Join(root, "etc/systemd/system/multi-user.target.wants"), 0o755))
		must(t, os.Symlink("/lib/systemd/system/firewalld.service", filepath.Join(root, "etc/systemd/system/multi-user.target.wants/firewalld.service")))
	}
	host := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	return root, func() *Snapshot {
		s, err := readSnapshot(t, host)
		must(t, err)
		return s
	}
}

// firewalldFound is what the firewalld source alone requires.
func firewalldFound(s *Snapshot, backend string) []Provenance {
	var set RequirementSet
	firewalldSource{}.Require(s, RequirementSpec{}, backend, &set)
	return set.Found
}

// sortedNames are the distinct names found, sorted.
func sortedNames(found []Provenance) []string {
	var out []string
	for _, p := range found {
		if !slices.Contains(out, p.Name) {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

func TestFirewalldDisabled(t *testing.T) {
	_, snap := firewalldHost(t, false)
	s := snap()
	if found := firewalldFound(s, "nf_tables"); len(found) != 0 {
		t.Errorf("firewalld installed, not enabled: requires %v", found)
	}
	if files := (firewalldSource{}).Files(s, RequirementSpec{}); len(files) != 0 {
		t.Errorf("firewalld not enabled: files %q", files)
	}
	if !slices.Contains(ManagerNames(), "firewalld") {
		t.Errorf("managers %q", ManagerNames())
	}
}

func TestFirewalldStock(t *testing.T) {
	_, snap := firewalldHost(t, true)
	s := snap()
	if found := (firewalldSource{}).Files(s, RequirementSpec{Managers: []string{"ufw"}}); len(found) != 0 {
		t.Errorf("managers: [ufw] still reads %q", found)
	}
	var set RequirementSet
	firewalldSource{}.Require(s, RequirementSpec{Managers: []string{"ufw"}}, "nf_tables", &set)
	if len(set.Found) != 0 {
		t.Errorf("managers: [ufw] still requires %v", set.Found)
	}
	for _, tc := range []struct {
		backend string
		want    []string
	}{
		{"nf_tables", []string{"ip_set", "nf_conntrack", "nf_tables", "nft_chain_nat", "nft_ct", "nft_fib_inet", "nft_reject_inet"}},
		{"legacy", []string{"ip6table_filter", "ip6table_mangle", "ip6table_nat", "ip6table_raw", "ip6table_security",
			"ip_set", "iptable_filter", "iptable_mangle", "iptable_nat", "iptable_raw", "iptable_security",
			"nf_conntrack", "nf_tables", "nft_chain_nat", "nft_ct", "nft_fib_inet", "nft_reject_inet"}},
	} {
		found := firewalldFound(s, tc.backend)
		if got := sortedNames(found); !slices.Equal(got, tc.want) {
			t.Errorf("%s: stock requires\n %q\nwant %q", tc.backend, got, tc.want)
		}
		for _, p := range found {
			if p.Source != "firewalld" || p.Path != firewalldConfPath {
				t.Errorf("%s: stock %+v", tc.backend, p)
			}
		}
	}
	files := (firewalldSource{}).Files(s, RequirementSpec{})
	for _, f := range []string{firewalldConfPath, "/usr/lib/firewalld/zones/public.xml", "/usr/lib/firewalld/policies/allow-host-ipv6.xml", "/usr/lib/firewalld/services/ssh.xml"} {
		if !slices.Contains(files, f) {
			t.Errorf("files %q lack %s", files, f)
		}
	}
	if slices.Contains(files, "/usr/lib/firewalld/services/ftp.xml") {
		t.Errorf("files %q list a service no zone uses", files)
	}
}

// TestFirewalldFeatures: a zone of the admin's replaces the package's, and
// each feature it uses requires its modules from the line that asks.
func TestFirewalldFeatures(t *testing.T) {
	root, snap := firewalldHost(t, true)
	zone, err := os.ReadFile(filepath.Join(testenv.RepoDir(), "internal/vmtest/testdata/managers/files/firewalld/public.xml"))
	must(t, err)
	writeFile(t, filepath.Join(root, "etc/firewalld/zones/public.xml"), string(zone))
	// The VM scenario's ipset and service (managers/30-firewalld.sh).
	for f, dir := range map[string]string{"blocked.xml": "ipsets", "tftp-legacy.xml": "services"} {
		data, err := os.ReadFile(filepath.Join(testenv.RepoDir(), "internal/vmtest/testdata/managers/files/firewalld", f))
		must(t, err)
		writeFile(t, filepath.Join(root, "etc/firewalld", dir, f), string(data))
	}
	writeFile(t, filepath.Join(root, "etc/firewalld/firewalld.conf"), "IPv6_rpfilter=no\nLogDenied=all\n")
	s := snap()
	found := firewalldFound(s, "nf_tables")
	const z = "/etc/firewalld/zones/public.xml"
	const tftp = "/etc/firewalld/services/tftp-legacy.xml"
	wantFound(t, "nftables backend", found, []Provenance{
		{Name: "nft_masq", Path: z, Line: 9},
		{Name: "nft_nat", Path: z, Line: 10},
		{Name: "nft_redir", Path: z, Line: 11},
		{Name: "nft_log", Path: z, Line: 15},
		{Name: "nft_limit", Path: z, Line: 16},
		{Name: "nft_reject_inet", Path: z, Line: 22},
		{Name: "nft_ct", Path: "/usr/lib/firewalld/services/ftp.xml", Line: 6},
		{Name: "nf_conntrack_ftp", Path: "/usr/lib/firewalld/services/ftp.xml", Line: 6},
		// <module name="nf_conntrack_tftp"/> is the tftp helper.
		{Name: "nf_conntrack_tftp", Path: tftp, Line: 6},
		{Name: "nft_log", Path: firewalldConfPath, Line: 2},
	})
	// The ipset is an nft set under nftables (nf_tables itself), an
	// ipset of its type under iptables, matched by xt_set.
	if slices.ContainsFunc(found, func(p Provenance) bool { return strings.HasPrefix(p.Name, "ip_set_") || p.Name == "xt_set" }) {
		t.Errorf("nftables backend: the ipset requires %+v", found)
	}
	writeFile(t, filepath.Join(root, "etc/firewalld/firewalld.conf"), "IPv6_rpfilter=no\nLogDenied=all\nFirewallBackend=iptables\n")
	found = firewalldFound(snap(), "legacy")
	wantFound(t, "iptables backend", found, []Provenance{
		// ip_set_hash_ip too where the tree has it (not the fixture's).
		{Name: "ip_set", Path: "/etc/firewalld/ipsets/blocked.xml", Line: 2},
		{Name: "xt_set", Path: "/etc/firewalld/ipsets/blocked.xml", Line: 2},
		{Name: "nf_conntrack_tftp", Path: tftp, Line: 6},
		{Name: "xt_LOG", Path: firewalldConfPath, Line: 2},
		// forward-port without to-addr: DNAT to ":81" in iptables.
		{Name: "xt_DNAT", Path: z, Line: 11},
	})
	if slices.ContainsFunc(found, func(p Provenance) bool { return p.Name == "xt_REDIRECT" }) {
		t.Errorf("iptables backend: firewalld writes no REDIRECT: %+v", found)
	}
	files := (firewalldSource{}).Files(s, RequirementSpec{})
	if !slices.Contains(files, z) || slices.Contains(files, "/usr/lib/firewalld/zones/public.xml") || !slices.Contains(files, "/usr/lib/firewalld/helpers/ftp.xml") {
		t.Errorf("files %q", files)
	}
	if slices.ContainsFunc(found, func(p Provenance) bool { return p.Name == "nft_fib_inet" }) {
		t.Error("IPv6_rpfilter=no still requires fib")
	}
	// No zone bound and not the default: not applied.
	writeFile(t, filepath.Join(root, "etc/firewalld/firewalld.conf"), "DefaultZone=home\n")
	found = firewalldFound(snap(), "nf_tables")
	if slices.ContainsFunc(found, func(p Provenance) bool { return p.Name == "nft_masq" }) {
		t.Errorf("a zone firewalld does not apply requires: %+v", found)
	}
}

// wantFound fails for each of want (source firewalld) not found.
func wantFound(t *testing.T, what string, found, want []Provenance) {
	t.Helper()
	for _, w := range want {
		w.Source = "firewalld"
		if !slices.Contains(found, w) {
			t.Errorf("%s: %+v not in %+v", what, w, found)
		}
	}
}

// TestFirewalldIptablesBackend: FirewallBackend=iptables, under each
// iptables alternative, requires what the booted kernels loaded
// (internal/vmtest managers scenarios firewalld-iptables-*), less
// modules.dep dependencies. The fixture's tree has no ip6t_REJECT nor
// ip6t_rpfilter, so those fall back to xt_REJECT and xt_rpfilter here.
func TestFirewalldIptablesBackend(t *testing.T) {
	root, snap := firewalldHost(t, true)
	writeFile(t, filepath.Join(root, "etc/firewalld/firewalld.conf"), "FirewallBackend=iptables\n")
	s := snap()
	for _, tc := range []struct {
		backend string
		want    []string
	}{
		{"legacy", []string{"ip6table_filter", "ip6table_mangle", "ip6table_nat", "ip6table_raw", "ip6table_security",
			"ip_set", "ipt_REJECT", "iptable_filter", "iptable_mangle", "iptable_nat", "iptable_raw", "iptable_security",
			"nf_conntrack", "nf_tables", "xt_REJECT", "xt_conntrack", "xt_rpfilter", "xt_tcpudp"}},
		{"nf_tables", []string{"ip_set", "ipt_REJECT", "nf_conntrack", "nf_tables", "nft_chain_nat", "nft_compat", "xt_REJECT", "xt_conntrack", "xt_rpfilter", "xt_tcpudp"}},
	} {
		found := firewalldFound(s, tc.backend)
		var got []string
		for _, n := range sortedNames(found) {
			got = append(got, s.Resolve(n)...)
		}
		slices.Sort(got)
		got = slices.Compact(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: requires\n %q\nwant %q", tc.backend, got, tc.want)
		}
		if !slices.Contains(found, Provenance{Name: "xt_tcpudp", Source: "firewalld", Path: "/usr/lib/firewalld/services/ssh.xml", Line: 5}) {
			t.Errorf("%s: nothing from ssh.xml's port: %+v", tc.backend, found)
		}
	}
}

// TestFirewalldRealTree: on Debian's real 6.1 tree, FirewallBackend=iptables
// under iptables-nft requires ip6_tables, which holds 6.1's icmp6 match
// (the rpfilter rules' neighbour discovery exceptions), as the booted
// kernel showed; 6.12 moved it to xt_tcpudp.
func TestFirewalldRealTree(t *testing.T) {
	trees, _ := testenv.KernelTrees(t)
	const rel = "6.1.0-57-cloud-amd64"
	tree, ok := trees[rel]
	if !ok {
		t.Skip("no " + rel + " tree")
	}
	root, snap := firewalldHost(t, true)
	writeFile(t, filepath.Join(root, "etc/firewalld/firewalld.conf"), "FirewallBackend=iptables\n")
	idx, _ := filepath.Glob(filepath.Join(tree, "lib/modules", rel, "modules.*"))
	for _, f := range idx {
		b, err := os.ReadFile(f)
		must(t, err)
		writeFile(t, filepath.Join(root, "lib/modules", rel, filepath.Base(f)), string(b))
	}
	writeFile(t, filepath.Join(root, "..", "proc/sys/kernel/osrelease"), rel+"\n")
	s := snap()
	required, _, _ := s.Required(RequirementSpec{Managers: []string{"firewalld"}}, "nf_tables")
	for _, m := range []string{"ip6_tables", "ip6t_rpfilter", "ip6t_REJECT", "ipt_REJECT", "xt_tcpudp", "nft_compat", "nf_tables", "ip_set"} {
		if !slices.Contains(required[m], "firewalld") {
			t.Errorf("%s not required by firewalld: %v", m, required)
		}
	}
}
