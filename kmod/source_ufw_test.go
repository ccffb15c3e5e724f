package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// ufwHost is a host running Debian's real 6.1 kernel tree (its index
// files) with ufw installed as its package ships it: the rules files
// postinst copies from /usr/share/ufw to /etc/ufw, ufw.conf with ENABLED
// set to enabled, /etc/default/ufw with edits applied (old -> new), and
// files (host path -> content) over them.
func ufwHost(t *testing.T, enabled string, edits map[string]string, files map[string]string) *Host {
	t.Helper()
	pkg := testenv.Package(t, "ufw")
	trees, _ := testenv.KernelTrees(t)
	var release string
	for r := range trees {
		if strings.HasPrefix(r, "6.1.") && !strings.Contains(r, "cloud") {
			release = r
		}
	}
	if release == "" {
		testenv.Missing(t, "Debian's 6.1 amd64 kernel tree", "run `make testdata`")
	}
	d := t.TempDir()
	root := filepath.Join(d, "root")
	mods := filepath.Join(root, "lib/modules", release)
	must(t, os.MkdirAll(mods, 0o755))
	for _, f := range []string{"modules.dep", "modules.alias", "modules.builtin", "modules.builtin.modinfo", "modules.softdep"} {
		src := filepath.Join(trees[release], "lib/modules", release, f)
		if err := os.Link(src, filepath.Join(mods, f)); err != nil {
			data, err := os.ReadFile(src)
			must(t, err)
			writeFile(t, filepath.Join(mods, f), string(data))
		}
	}
	copyFile := func(src, dst string) {
		data, err := os.ReadFile(filepath.Join(pkg, src))
		must(t, err)
		writeFile(t, filepath.Join(root, dst), string(data))
	}
	for _, f := range []string{"before", "after", "user", "before6", "after6", "user6"} {
		copyFile("usr/share/ufw/"+f+".rules", "etc/ufw/"+f+".rules")
	}
	conf, err := os.ReadFile(filepath.Join(pkg, "usr/share/ufw/ufw.conf"))
	must(t, err)
	if !strings.Contains(string(conf), "\nENABLED=no\n") {
		t.Fatalf("the package's ufw.conf does not say ENABLED=no:\n%s", conf)
	}
	writeFile(t, filepath.Join(root, "etc/ufw/ufw.conf"), strings.Replace(string(conf), "\nENABLED=no\n", "\nENABLED="+enabled+"\n", 1))
	defaults, err := os.ReadFile(filepath.Join(pkg, "etc/default/ufw"))
	must(t, err)
	for old, repl := range edits {
		if !strings.Contains(string(defaults), old) {
			t.Fatalf("the package's /etc/default/ufw has no %q", old)
		}
		defaults = []byte(strings.Replace(string(defaults), old, repl, 1))
	}
	writeFile(t, filepath.Join(root, "etc/default/ufw"), string(defaults))
	for p, c := range files {
		writeFile(t, filepath.Join(root, p), c)
	}
	proc := filepath.Join(d, "proc")
	writeFile(t, filepath.Join(proc, "sys/kernel/osrelease"), release+"\n")
	writeFile(t, filepath.Join(proc, "cmdline"), "\n")
	return NewHost(Paths{Proc: proc, Sys: filepath.Join(d, "sys"), Root: root})
}

// ufwFound is what the ufw source requires on h.
func ufwFound(t *testing.T, h *Host, spec RequirementSpec, backend string) []Provenance {
	t.Helper()
	s, err := readSnapshot(t, h)
	must(t, err)
	var set RequirementSet
	ufwSource{}.Require(s, spec, backend, &set)
	return set.Found
}

func names(found []Provenance) []string {
	var out []string
	for _, p := range found {
		out = append(out, p.Name)
	}
	return out
}

// vmUserRules are the user rules the VM scenario installs (what ufw writes
// after `ufw limit 22/tcp`, `ufw allow log 80/tcp`, `ufw allow 443`).
func vmUserRules(t *testing.T, name string) string {
	data, err := os.ReadFile(filepath.Join("..", "internal", "vmtest", "testdata", "managers", "files", "ufw", name))
	must(t, err)
	return string(data)
}

// TestUfwSource: what ufw requires on Debian's real 6.1 tree, from the
// files its package ships, for each iptables backend, with IPv6 on and
// off, and with the user rules ufw writes for real rules.
func TestUfwSource(t *testing.T) {
	ipv6off := map[string]string{"\nIPV6=yes\n": "\nIPV6=no\n"}
	user := map[string]string{"/etc/ufw/user.rules": vmUserRules(t, "user.rules"), "/etc/ufw/user6.rules": vmUserRules(t, "user6.rules")}
	// The shipped files of one family: conntrack (the tracking rules of
	// the ACCEPT output policy, then before.rules), icmp (in ip_tables on
	// 6.1), the udp/tcp ports, addrtype, limit, and the template
	// user.rules' LOG and REJECT; IPv6's before6.rules adds rt and hl.
	legacy4 := []string{"iptable_filter", "xt_conntrack", "nf_conntrack", "ip_tables", "xt_tcpudp", "xt_addrtype", "xt_limit", "xt_LOG", "nf_log_syslog", "ipt_REJECT"}
	legacy6 := []string{"ip6table_filter", "ip6t_rt", "ip6_tables", "xt_hl"}
	nft4 := []string{"nf_tables", "xt_conntrack", "nf_conntrack", "nft_compat", "ip_tables", "xt_tcpudp", "xt_addrtype", "xt_limit", "nft_limit", "xt_LOG", "nf_log_syslog", "ipt_REJECT"}
	nft6 := []string{"ip6t_rt", "ip6_tables", "xt_hl"}
	for _, tc := range []struct {
		name, enabled, backend string
		edits, files           map[string]string
		want                   []string
	}{
		{"not enabled", "no", "legacy", nil, nil, nil},
		{"ENABLED=Yes is neither yes nor YES", "Yes", "legacy", nil, nil, nil},
		{"shipped, legacy", "yes", "legacy", nil, nil, append(slices.Clone(legacy4), legacy6...)},
		{"shipped, legacy, IPv6 off", "yes", "legacy", ipv6off, nil, append([]string{"ip6table_filter"}, legacy4...)},
		{"shipped, iptables-nft", "yes", "nf_tables", nil, nil, append(slices.Clone(nft4), nft6...)},
		{"shipped, iptables-nft, IPv6 off", "yes", "nf_tables", ipv6off, nil, nft4},
		{"user rules, legacy", "yes", "legacy", nil, user, []string{"iptable_filter", "xt_conntrack", "nf_conntrack", "ip_tables", "xt_tcpudp", "xt_addrtype", "xt_limit", "xt_recent", "xt_LOG", "nf_log_syslog", "ipt_REJECT", "ip6table_filter", "ip6t_rt", "ip6_tables", "xt_hl", "ip6t_REJECT"}},
		{"user rules, iptables-nft", "yes", "nf_tables", nil, user, []string{"nf_tables", "xt_conntrack", "nf_conntrack", "nft_compat", "ip_tables", "xt_tcpudp", "xt_addrtype", "xt_limit", "nft_limit", "xt_recent", "xt_LOG", "nf_log_syslog", "ipt_REJECT", "ip6t_rt", "ip6_tables", "xt_hl", "ip6t_REJECT"}},
		{"IPT_MODULES, builtins, reject policy", "yes", "legacy", map[string]string{
			"\nIPT_MODULES=\"\"":                 "\nIPT_MODULES=\"nf_conntrack_ftp nf_nat_ftp\"",
			"\nMANAGE_BUILTINS=no\n":             "\nMANAGE_BUILTINS=yes\n",
			"\nDEFAULT_INPUT_POLICY=\"DROP\"":    "\nDEFAULT_INPUT_POLICY=\"REJECT\"",
			"\nDEFAULT_OUTPUT_POLICY=\"ACCEPT\"": "\nDEFAULT_OUTPUT_POLICY=\"DROP\"",
		}, nil, []string{"nf_conntrack_ftp", "nf_nat_ftp", "iptable_filter", "iptable_mangle", "iptable_nat", "ip6table_filter", "ip6table_mangle",
			"ipt_REJECT", "xt_conntrack", "nf_conntrack", "ip_tables", "xt_tcpudp", "xt_addrtype", "xt_limit", "xt_LOG", "nf_log_syslog", "ip6t_REJECT", "ip6t_rt", "ip6_tables", "xt_hl"}},
	} {
		h := ufwHost(t, tc.enabled, tc.edits, tc.files)
		got := names(ufwFound(t, h, RequirementSpec{}, tc.backend))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q\nwant %q", tc.name, got, tc.want)
		}
		for _, m := range got {
			if strings.Contains(m, "ufw") {
				t.Errorf("%s: a chain of ufw taken for a module: %s", tc.name, m)
			}
		}
	}
}

// TestUfwProvenance: each module names the file and line that first asks
// for it, in the order ufw-init loads them.
func TestUfwProvenance(t *testing.T) {
	h := ufwHost(t, "yes", nil, map[string]string{"/etc/ufw/user.rules": vmUserRules(t, "user.rules")})
	found := ufwFound(t, h, RequirementSpec{}, "legacy")
	for _, want := range []Provenance{
		{Name: "iptable_filter", Source: "ufw", Path: "/etc/ufw/ufw.conf", Line: 6},   // ENABLED=yes: ufw-init's chains
		{Name: "xt_conntrack", Source: "ufw", Path: "/etc/default/ufw", Line: 15},     // DEFAULT_OUTPUT_POLICY="ACCEPT": ufw-track-output
		{Name: "xt_addrtype", Source: "ufw", Path: "/etc/ufw/before.rules", Line: 54}, // ufw-not-local
		{Name: "xt_recent", Source: "ufw", Path: "/etc/ufw/user.rules", Line: 21},     // ufw limit 22/tcp
		{Name: "nf_log_syslog", Source: "ufw", Path: "/etc/ufw/user.rules", Line: 26}, // ufw allow log 80/tcp
		{Name: "ipt_REJECT", Source: "ufw", Path: "/etc/ufw/user.rules", Line: 47},    // ufw-user-limit
		{Name: "ip6t_rt", Source: "ufw", Path: "/etc/ufw/before6.rules", Line: 24},
	} {
		if !slices.Contains(found, want) {
			t.Errorf("%+v not in %+v", want, found)
		}
	}
	lines := strings.Split(vmUserRules(t, "user.rules"), "\n")
	if !strings.Contains(lines[20], "-m recent --set") || !strings.Contains(lines[46], "-j REJECT") {
		t.Errorf("user.rules lines 21 and 47: %q, %q", lines[20], lines[46])
	}
}

// TestUfwFiles: the files read are listed, the rules files only while ufw
// is enabled, IPv6's only with IPV6=yes; `managers: []` reads none.
func TestUfwFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		enabled string
		edits   map[string]string
		spec    RequirementSpec
		want    []string
	}{
		{"not enabled", "no", nil, RequirementSpec{}, []string{"/etc/ufw/ufw.conf"}},
		{"enabled", "yes", nil, RequirementSpec{}, []string{"/etc/ufw/ufw.conf", "/etc/default/ufw",
			"/etc/ufw/before.rules", "/etc/ufw/after.rules", "/etc/ufw/user.rules", "/etc/ufw/before6.rules", "/etc/ufw/after6.rules", "/etc/ufw/user6.rules"}},
		{"IPv6 off", "yes", map[string]string{"\nIPV6=yes\n": "\nIPV6=no\n"}, RequirementSpec{}, []string{"/etc/ufw/ufw.conf", "/etc/default/ufw",
			"/etc/ufw/before.rules", "/etc/ufw/after.rules", "/etc/ufw/user.rules"}},
		{"switched off", "yes", nil, RequirementSpec{Managers: []string{}}, nil},
	} {
		s, err := readSnapshot(t, ufwHost(t, tc.enabled, tc.edits, nil))
		must(t, err)
		if got := (ufwSource{}).Files(s, tc.spec); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		for _, f := range s.SourceFiles(tc.spec) {
			if f.Source == "ufw" && f.Enabled != (tc.enabled == "yes") {
				t.Errorf("%s: %+v", tc.name, f)
			}
		}
		var set RequirementSet
		ufwSource{}.Require(s, tc.spec, "legacy", &set)
		if tc.spec.Managers != nil && len(set.Found) != 0 {
			t.Errorf("%s: switched off, yet requires %+v", tc.name, set.Found)
		}
	}
	if !slices.Contains(ManagerNames(), "ufw") {
		t.Errorf("ufw is not a manager: %q", ManagerNames())
	}
}

// TestUfwUnreadable: a rules file that cannot be opened shows in
// SourceFiles with its error, and the others still count.
func TestUfwUnreadable(t *testing.T) {
	h := ufwHost(t, "yes", nil, nil)
	p := filepath.Join(h.root.Dir(), "etc/ufw/user.rules")
	must(t, os.Remove(p))
	must(t, os.Symlink("user.rules", p)) // a loop
	s, err := readSnapshot(t, h)
	must(t, err)
	var user *SourceFile
	files := s.SourceFiles(RequirementSpec{})
	for i, f := range files {
		if f.Path == "/etc/ufw/user.rules" {
			user = &files[i]
		}
	}
	if user == nil || user.Source != "ufw" || user.Err == nil {
		t.Fatalf("user.rules: %+v in %+v", user, files)
	}
	var set RequirementSet
	ufwSource{}.Require(s, RequirementSpec{}, "legacy", &set)
	if got := names(set.Found); slices.Contains(got, "ipt_REJECT") || !slices.Contains(got, "xt_addrtype") {
		t.Errorf("without user.rules: %q", got)
	}
}

func TestParseShellVars(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]shellVar
	}{
		{"ENABLED=yes\n", map[string]shellVar{"ENABLED": {"yes", 1}}},
		{"# c\n\nIPV6=no # comment\n", map[string]shellVar{"IPV6": {"no", 3}}},
		{"A=\"x y\"\nA='z'\n", map[string]shellVar{"A": {"z", 2}}},
		{"IPT_MODULES=\"nf_conntrack_ftp\n  nf_nat_ftp\"\nIPV6=yes\n", map[string]shellVar{"IPT_MODULES": {"nf_conntrack_ftp\n  nf_nat_ftp", 1}, "IPV6": {"yes", 3}}},
		{"export MANAGE_BUILTINS=yes\r\n", map[string]shellVar{"MANAGE_BUILTINS": {"yes", 1}}},
		{"  X=a\\ b;Y=c\nif [ x ]; then Z=1; fi\n1A=2\n", map[string]shellVar{"X": {"a b", 1}}},
		{"Q=\"a\\\"b\\\\\"\nR=\"open\n", map[string]shellVar{"Q": {`a"b\`, 1}, "R": {"open\n", 2}}},
		{"E=\nF", map[string]shellVar{"E": {"", 1}}},
	} {
		got, err := parseShellVars([]byte(tc.in))
		must(t, err)
		if len(got) != len(tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%q: %s = %+v, want %+v", tc.in, k, got[k], v)
			}
		}
	}
}

func TestUfwRuleset(t *testing.T) {
	before, _ := parseUfwRules([]byte("*filter\n:ufw-before-input - [0:0]\n:ufw-not-local - [0:0]\n-A ufw-before-input -j ufw-not-local\n-A ufw-before-input -j ufw-logging-deny\n-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN\n-A ufw-before-input -j ufw-custom\nCOMMIT\n"))
	user, _ := parseUfwRules([]byte("*filter\n:ufw-custom - [0:0]\n-A ufw-user-input -p tcp --dport 22 -j TARPIT\nbogus\nCOMMIT\n"))
	if len(user.invalid) != 1 || user.invalid[0].Line != 4 {
		t.Errorf("invalid lines: %+v", user.invalid)
	}
	got := ufwRuleset("ipv4", []string{"/b", "/u"}, []ufwRuleFile{before, user})
	want := []ufwPlaced{
		{Need{"table", "filter"}, "/b", 1},
		{Need{"match", "addrtype"}, "/b", 6},
		{Need{"match", "tcp"}, "/u", 3},
		{Need{"target", "TARPIT"}, "/u", 3},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// In the IPv6 rule set ufw-logging-deny is not ufw-init's (ufw6-…).
	got = ufwRuleset("ipv6", []string{"/b"}, []ufwRuleFile{before})
	if !slices.Contains(got, ufwPlaced{Need{"target", "ufw-logging-deny"}, "/b", 5}) {
		t.Errorf("ipv6: %+v", got)
	}
}

func FuzzUfw(f *testing.F) {
	f.Add([]byte("ENABLED=yes\nIPT_MODULES=\"a\n b\"\n"))
	f.Add([]byte("*filter\n:ufw-x - [0:0]\n-A ufw-x -p tcp --dport 22 -m recent --set -j ufw-y\nCOMMIT\n"))
	f.Add([]byte("A='\\\nB=\"\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := parseShellVars(data)
		if err != nil || len(vars) > maxShellVars {
			t.Fatalf("%d vars, %v", len(vars), err)
		}
		lines := 1 + strings.Count(string(data), "\n")
		for k, v := range vars {
			if !isShellName(k) || v.Line < 1 || v.Line > lines {
				t.Fatalf("%q: %+v", k, v)
			}
		}
		rf, _ := parseUfwRules(data)
		for _, n := range ufwRuleset("ipv4", []string{"/f"}, []ufwRuleFile{rf}) {
			if n.Line < 1 || n.Line > lines {
				t.Fatalf("%+v", n)
			}
		}
	})
}
