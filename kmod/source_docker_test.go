package kmod

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

var updateRuntimeRules = flag.Bool("update-runtime-rules", false, "rewrite the VM's copies of the rules Docker and kube-proxy create")

// runtimeHost is the healthy fixture host with files added (relative host
// paths to content; content "->target" makes a link; a path under proc/
// is in the host's procfs).
func runtimeHost(t *testing.T, files map[string]string) *Snapshot {
	t.Helper()
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	for p, content := range files {
		full := filepath.Join(root, p)
		if rel, ok := strings.CutPrefix(p, "proc/"); ok {
			full = filepath.Join(d, "proc", rel)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			must(t, os.MkdirAll(filepath.Dir(full), 0o755))
			must(t, os.Symlink(target, full))
			continue
		}
		writeFile(t, full, content)
	}
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	s, err := readSnapshot(t, h)
	must(t, err)
	return s
}

const dockerLink = "etc/systemd/system/multi-user.target.wants/docker.service"

// Debian's docker.io installs docker.service and docker.socket under
// /lib/systemd/system and enables both; `systemctl enable` links them.
var dockerEnabled = map[string]string{dockerLink: "->/lib/systemd/system/docker.service", "lib/systemd/system/docker.service": "[Unit]\n"}

func withFiles(base map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// foundBy are the modules a source requires, resolved through aliases as
// Required does, and the files asking.
func foundBy(s *Snapshot, set RequirementSet, source string) (names []string, paths []string) {
	for _, p := range set.Found {
		if p.Source == source {
			names = append(names, s.Resolve(p.Name)...)
			if !slices.Contains(paths, p.Path) {
				paths = append(paths, p.Path)
			}
		}
	}
	return names, paths
}

func TestDockerSource(t *testing.T) {
	// The healthy fixture's kernel has no alias for the DNAT target
	// (a real one maps ipt_DNAT to xt_nat): xt_DNAT is the name left.
	v4legacy := []string{"br_netfilter", "nf_conntrack_netlink", "iptable_nat", "xt_addrtype", "xt_MASQUERADE", "xt_tcpudp", "xt_DNAT", "iptable_filter", "xt_conntrack", "nf_conntrack"}
	v6legacy := []string{"ip6table_nat", "ip6table_filter"}
	// Docker 29's nftables backend, IPv4 (nft_fib_ipv6 with ip6tables).
	dockerNft := []string{"bridge", "nf_conntrack_netlink", "nf_conntrack", "nf_tables", "nft_chain_nat", "nft_ct", "nft_fib_ipv4", "nft_masq", "nft_nat"}
	for _, tc := range []struct {
		name    string
		files   map[string]string
		backend string
		want    []string // in any order; nil: nothing
		path    string
		err     string
		absent  []string
	}{
		{name: "not installed", files: nil, backend: "legacy"},
		{name: "installed, disabled", files: map[string]string{"lib/systemd/system/docker.service": "[Unit]\n"}, backend: "legacy"},
		{name: "enabled, no daemon.json", files: dockerEnabled, backend: "legacy", want: v4legacy, path: "/" + dockerLink, absent: v6legacy},
		{name: "socket only", files: map[string]string{"etc/systemd/system/sockets.target.wants/docker.socket": "->/lib/systemd/system/docker.socket"},
			backend: "legacy", want: v4legacy, path: "/etc/systemd/system/sockets.target.wants/docker.socket"},
		{name: "empty daemon.json", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": "\n"}), backend: "legacy", want: v4legacy, path: dockerDaemonJSON},
		{name: "iptables true", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"iptables": true, "log-driver": "journald"}`}),
			backend: "legacy", want: v4legacy, path: dockerDaemonJSON},
		{name: "iptables false", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"iptables": false}`}), backend: "legacy"},
		// 29's nftables backend: its own tables, whatever iptables'
		// backend; the key alone says 29 (dockerd refuses it before).
		{name: "nftables firewall backend", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"firewall-backend": "nftables"}`}), backend: "legacy",
			want: append(slices.Clone(dockerNft), "nft_fib_ipv6"), path: dockerDaemonJSON,
			absent: []string{"iptable_nat", "iptable_filter", "xt_set", "xt_conntrack", "br_netfilter", "nft_compat"}},
		{name: "nftables firewall backend, ip6tables off, no masquerade", files: withFiles(dockerEnabled, withFiles(dpkgStatus("docker-ce", "5:29.7.2-1~debian.12~bookworm"),
			map[string]string{"etc/docker/daemon.json": `{"firewall-backend": "nftables", "ip6tables": false, "ip-masq": false}`})), backend: "nf_tables",
			want: slices.DeleteFunc(slices.Clone(dockerNft), func(m string) bool { return m == "nft_masq" }), path: dockerDaemonJSON},
		{name: "nftables firewall backend, icc off, iptables off", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"firewall-backend": "nftables", "icc": false, "iptables": false}`}),
			backend: "nf_tables"},
		{name: "iptables firewall backend", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"firewall-backend": "iptables"}`}), backend: "legacy",
			want: append(withBridge(v4legacy), "xt_set", "ip6table_nat", "ip6table_filter", "iptable_raw"), path: dockerDaemonJSON},
		{name: "ip6tables, no IPv6 network", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"experimental": true, "ip6tables": true}`}),
			backend: "legacy", want: append(slices.Clone(v4legacy), v6legacy...), path: dockerDaemonJSON},
		{name: "ip6tables with IPv6", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"experimental": true, "ip6tables": true, "ipv6": true, "fixed-cidr-v6": "fd00:d0c::/64"}`}),
			backend: "legacy", want: append(slices.Clone(v4legacy), v6legacy...), path: dockerDaemonJSON},
		{name: "no masquerading, userland proxy off", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"ip-masq": false, "userland-proxy": false, "icc": false}`}),
			backend: "legacy", want: v4legacy, path: dockerDaemonJSON},
		{name: "no bridge", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": `{"bridge": "none"}`}),
			backend: "legacy", want: []string{"br_netfilter", "nf_conntrack_netlink", "iptable_nat", "iptable_filter"}, path: dockerDaemonJSON,
			absent: []string{"xt_addrtype", "xt_conntrack", "xt_MASQUERADE"}},
		{name: "iptables-nft", files: dockerEnabled, backend: "nf_tables",
			want: []string{"br_netfilter", "nf_conntrack_netlink", "nf_tables", "nft_chain_nat", "nft_compat", "xt_addrtype", "xt_MASQUERADE", "xt_tcpudp", "xt_DNAT", "xt_conntrack", "nf_conntrack"},
			path: "/" + dockerLink, absent: []string{"iptable_nat", "iptable_filter"}},
		{name: "DOCKER_OPTS iptables off", files: withFiles(dockerEnabled, map[string]string{"etc/default/docker": "# Docker options.\nDOCKER_OPTS=\"--dns 192.0.2.53 --iptables=false\"\n"}), backend: "legacy"},
		{name: "DOCKER_OPTS comments only", files: withFiles(dockerEnabled, map[string]string{"etc/default/docker": "# Here in Debian, this file is sourced by:\n#DOCKER_OPTS=\"--iptables=false\"\n"}),
			backend: "legacy", want: v4legacy, path: "/" + dockerLink},
		{name: "DOCKER_OPTS ip6tables", files: withFiles(dockerEnabled, map[string]string{"etc/default/docker": "DOCKER_OPTS='--experimental --ip6tables'\n"}),
			backend: "legacy", want: append(slices.Clone(v4legacy), v6legacy...), path: "/etc/default/docker"},
		{name: "docker.io 20.10.24", files: withFiles(dockerEnabled, dpkgStatus("docker.io", "20.10.24+dfsg1-1+deb12u1+b6")), backend: "legacy",
			want: v4legacy, path: "/" + dockerLink, absent: v6legacy},
		// 27: ip6tables on by default; br_netfilter only for icc off or
		// without the userland proxy (27.4), the bridge for docker0.
		{name: "docker-ce 27.5", files: withFiles(dockerEnabled, dpkgStatus("docker-ce", "5:27.5.1-1~debian.12~bookworm")), backend: "legacy",
			want: append(withBridge(v4legacy), v6legacy...), path: "/" + dockerLink, absent: []string{"br_netfilter", "iptable_raw"}},
		{name: "docker-ce 27.3, no userland proxy", files: withFiles(dockerEnabled, withFiles(dpkgStatus("docker-ce", "5:27.3.1-1~debian.12~bookworm"),
			map[string]string{"etc/docker/daemon.json": `{"userland-proxy": false}`})), backend: "legacy",
			want: append(withBridge(v4legacy), v6legacy...), path: dockerDaemonJSON},
		{name: "docker-ce 27.4, no userland proxy", files: withFiles(dockerEnabled, withFiles(dpkgStatus("docker-ce", "5:27.4.0-1~debian.12~bookworm"),
			map[string]string{"etc/docker/daemon.json": `{"userland-proxy": false}`})), backend: "legacy",
			want: append(slices.Clone(v4legacy), v6legacy...), path: dockerDaemonJSON},
		// 28: the raw table (direct routing to containers dropped).
		{name: "docker-ce 28", files: withFiles(dockerEnabled, dpkgStatus("docker-ce", "5:28.5.2-1~debian.12~bookworm")), backend: "legacy",
			want: append(withBridge(v4legacy), "ip6table_nat", "ip6table_filter", "iptable_raw", "xt_set"), path: "/" + dockerLink, absent: []string{"ip6table_raw"}},
		{name: "docker-ce 28, IPv6 bridge, icc off", files: withFiles(dockerEnabled, withFiles(dpkgStatus("docker-ce", "5:28.0.1-1~debian.12~bookworm"),
			map[string]string{"etc/docker/daemon.json": `{"ipv6": true, "fixed-cidr-v6": "fd00:d0c::/64", "icc": false}`})), backend: "legacy",
			want: append(slices.Clone(v4legacy), "ip6table_nat", "ip6table_filter", "iptable_raw", "ip6table_raw", "xt_set"), path: dockerDaemonJSON},
		{name: "docker-ce 28, ip6tables off, direct routing", files: withFiles(dockerEnabled, withFiles(dpkgStatus("docker-ce", "5:28.5.2-1~debian.12~bookworm"),
			map[string]string{"etc/docker/daemon.json": `{"ip6tables": false, "allow-direct-routing": true}`})), backend: "legacy",
			want: append(withBridge(v4legacy), "xt_set"), path: dockerDaemonJSON, absent: []string{"iptable_raw", "ip6table_nat"}},
		{name: "docker-ce 28, iptables-nft", files: withFiles(dockerEnabled, dpkgStatus("docker-ce", "5:28.5.2-1~debian.12~bookworm")), backend: "nf_tables",
			want: []string{"bridge", "nf_conntrack_netlink", "nf_tables", "nft_chain_nat", "nft_compat", "xt_addrtype", "xt_MASQUERADE", "xt_tcpudp", "xt_DNAT", "xt_conntrack", "nf_conntrack", "xt_set"},
			path: "/" + dockerLink, absent: []string{"iptable_raw", "iptable_nat"}},
		{name: "docker-ce 27.5: no set probe", files: withFiles(dockerEnabled, dpkgStatus("docker-ce", "5:27.5.1-1~debian.12~bookworm")), backend: "nf_tables",
			want: []string{"bridge", "nf_conntrack_netlink", "nf_tables", "nft_chain_nat", "nft_compat", "xt_addrtype", "xt_MASQUERADE", "xt_tcpudp", "xt_DNAT", "xt_conntrack", "nf_conntrack"},
			path: "/" + dockerLink},
		{name: "invalid JSON", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": "{\n  \"iptables\": false,\n}\n"}), backend: "legacy",
			err: "/etc/docker/daemon.json: line 3: invalid character '}'"},
		{name: "wrong type", files: withFiles(dockerEnabled, map[string]string{"etc/docker/daemon.json": "{\"iptables\": \"no\"}"}), backend: "legacy",
			err: "/etc/docker/daemon.json: line 1: json: cannot unmarshal string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := runtimeHost(t, tc.files)
			set := s.Requirements(RequirementSpec{Rulesets: RulesetPaths()}, tc.backend)
			names, paths := foundBy(s, set, "docker")
			if tc.err != "" {
				if len(names) != 0 || len(set.Rulesets) != 1 || set.Rulesets[0].Err == nil || !strings.Contains(set.Rulesets[0].Err.Error(), tc.err) {
					t.Fatalf("want error %q and nothing required, got %q, %+v", tc.err, names, set.Rulesets)
				}
				// The file opens but says nothing usable: readable 0.
				files := s.SourceFiles(RequirementSpec{Rulesets: RulesetPaths()})
				if i := slices.IndexFunc(files, func(f SourceFile) bool { return f.Path == set.Rulesets[0].Path }); i < 0 || files[i].Err == nil || files[i].Source != "docker" {
					t.Errorf("source files: %+v", files)
				}
				return
			}
			if len(set.Rulesets) != 0 {
				t.Errorf("unexpected file errors: %+v", set.Rulesets)
			}
			slices.Sort(names)
			names = slices.Compact(names)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("required %q, want %q", names, want)
			}
			if tc.want != nil && !slices.Equal(paths, []string{tc.path}) {
				t.Errorf("asked for by %q, want %q", paths, tc.path)
			}
			for _, a := range tc.absent {
				if slices.Contains(names, a) {
					t.Errorf("%s required", a)
				}
			}
		})
	}
}

// dpkgStatus is a dpkg status file with pkg installed at version.
func dpkgStatus(pkg, version string) map[string]string {
	return map[string]string{"var/lib/dpkg/status": "Package: iptables\nStatus: install ok installed\nVersion: 1.8.9-2\n\nPackage: " + pkg +
		"\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version + "\n"}
}

// withBridge is mods with the bridge module in place of br_netfilter.
func withBridge(mods []string) []string {
	out := []string{"bridge"}
	for _, m := range mods {
		if m != "br_netfilter" {
			out = append(out, m)
		}
	}
	return out
}

// TestDockerManagersSwitch: `managers:` without docker reads nothing of it.
func TestDockerManagersSwitch(t *testing.T) {
	s := runtimeHost(t, dockerEnabled)
	spec := RequirementSpec{Rulesets: RulesetPaths(), Managers: []string{"kube-proxy"}}
	if names, _ := foundBy(s, s.Requirements(spec, "legacy"), "docker"); len(names) != 0 {
		t.Errorf("switched off, docker requires %q", names)
	}
	if files := (dockerSource{}).Files(s, spec); len(files) != 0 {
		t.Errorf("switched off, docker reads %q", files)
	}
	if !slices.Contains(ManagerNames(), "docker") || !slices.Contains(ManagerNames(), "kube-proxy") {
		t.Errorf("manager names %q", ManagerNames())
	}
	var got []SourceFile
	for _, f := range s.SourceFiles(RequirementSpec{}) {
		if f.Source == "docker" {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0].Path != "/"+dockerLink || !got[0].Enabled || got[0].Err != nil {
		t.Errorf("docker's source files: %+v", got)
	}
}

func TestDockerRules(t *testing.T) {
	tr := true
	for _, tc := range []struct {
		name, family string
		c            dockerConfig
		rel          release
		has, hasNot  []string
	}{
		{name: "default", family: "ipv4", has: []string{"-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", "-A DOCKER -i docker0 -j RETURN",
			"-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER", "-A DOCKER-USER -j RETURN", "-A FORWARD -i docker0 -o docker0 -j ACCEPT"}},
		{name: "hairpin", family: "ipv4", c: dockerConfig{UserlandProxy: new(bool)},
			has:    []string{"-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE", "-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER"},
			hasNot: []string{"-A DOCKER -i docker0 -j RETURN"}},
		{name: "no masquerade", family: "ipv4", c: dockerConfig{IPMasq: new(bool)}, hasNot: []string{"172.17.0.0/16 ! -o docker0 -j MASQUERADE"}},
		{name: "icc off", family: "ipv4", c: dockerConfig{ICC: new(bool)}, has: []string{"-A FORWARD -i docker0 -o docker0 -j DROP"}},
		{name: "ipv6 chains only", family: "ipv6", c: dockerConfig{IP6Tables: &tr}, hasNot: []string{"docker0", "DOCKER-USER"}},
		{name: "ipv6 network", family: "ipv6", c: dockerConfig{IP6Tables: &tr, IPv6: true},
			has: []string{"-A POSTROUTING -s fd00:d0c::/64 ! -o docker0 -j MASQUERADE", "--to-destination [fd00:d0c::2]:80"}},
		{name: "20.10: no raw table", family: "ipv4", rel: release{20, 10}, hasNot: []string{"*raw"}},
		{name: "27: DOCKER-USER in ip6tables", family: "ipv6", rel: release{27, 5}, has: []string{"-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -j RETURN"},
			hasNot: []string{"*raw", "docker0"}},
		{name: "28: raw table", family: "ipv4", rel: release{28, 5}, has: []string{"*raw", "-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP"}},
		{name: "28: raw table, IPv6", family: "ipv6", c: dockerConfig{IPv6: true}, rel: release{28, 0}, has: []string{"-A PREROUTING -d fd00:d0c::2/128 ! -i docker0 -j DROP"}},
		{name: "28: direct routing allowed", family: "ipv4", c: dockerConfig{AllowDirectRouting: &tr}, rel: release{28, 5}, hasNot: []string{"*raw"}},
		{name: "28: no bridge, no raw table", family: "ipv4", c: dockerConfig{Bridge: "none"}, rel: release{29, 0}, hasNot: []string{"*raw"}},
	} {
		got := dockerRules(tc.family, tc.c, tc.rel)
		checkRuleLines(t, tc.name, got, tc.has, tc.hasNot)
		if _, invalid := ParseIptablesSave([]byte(got)); len(invalid) != 0 {
			t.Errorf("%s: invalid lines %+v", tc.name, invalid)
		}
	}
}

// checkRuleLines: every line of has ends a line of got, and nothing of
// hasNot is in it.
func checkRuleLines(t *testing.T, name, got string, has, hasNot []string) {
	t.Helper()
	for _, h := range has {
		if !strings.Contains(got, h+"\n") {
			t.Errorf("%s: no %q in\n%s", name, h, got)
		}
	}
	for _, h := range hasNot {
		if strings.Contains(got, h) {
			t.Errorf("%s: %q in\n%s", name, h, got)
		}
	}
}

func TestDockerNftRules(t *testing.T) {
	f, tr := false, true
	for _, tc := range []struct {
		name, family string
		c            dockerConfig
		has, hasNot  []string
	}{
		{name: "default", family: "ipv4", has: []string{"table ip docker-bridges {",
			"\t\tip daddr != 127.0.0.0/8 fib daddr type local counter jump nat-prerouting-and-output",
			`		iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80 comment "DNAT"`,
			`		ip daddr 172.17.0.2 iifname != "docker0" counter drop comment "DROP DIRECT ACCESS"`,
			`		oifname != "docker0" ip saddr 172.17.0.0/16 counter masquerade comment "MASQUERADE"`,
			`		iifname "docker0" counter accept comment "ICC"`,
			`		elements = { "docker0" : jump filter-forward-in__docker0 }`},
			hasNot: []string{"MASQUERADE FROM HOST"}},
		{name: "no IPv6 bridge: base chains", family: "ipv6", has: []string{"table ip6 docker-bridges {",
			"\t\tip6 daddr != ::1 fib daddr type local counter jump nat-prerouting-and-output",
			"\t\ttype filter hook prerouting priority -300; policy accept;"},
			hasNot: []string{"docker0", "masquerade", "dnat", "ct state"}},
		{name: "IPv6 bridge", family: "ipv6", c: dockerConfig{IPv6: true}, has: []string{`dnat to [fd00:d0c::2]:80 comment "DNAT"`,
			`ip6 saddr fd00:d0c::/64 counter masquerade comment "MASQUERADE"`, `ip6 daddr fd00:d0c::2 iifname != "docker0" counter drop comment "DROP DIRECT ACCESS"`}},
		{name: "hairpin, icc off, no masquerade, direct routing", family: "ipv4",
			c: dockerConfig{UserlandProxy: &f, ICC: &f, IPMasq: &f, AllowDirectRouting: &tr},
			has: []string{"\t\tfib daddr type local counter jump nat-prerouting-and-output", `counter masquerade comment "MASQUERADE FROM HOST"`,
				`		iifname "docker0" counter drop comment "ICC"`},
			hasNot: []string{"127.0.0.0/8", `comment "MASQUERADE"`, "DROP DIRECT ACCESS"}},
		{name: "no bridge", family: "ipv4", c: dockerConfig{Bridge: "none"}, hasNot: []string{"docker0", "dnat", "masquerade"}},
	} {
		got := dockerNftRules(tc.family, tc.c)
		checkRuleLines(t, tc.name, got, tc.has, tc.hasNot)
		// Every chain a map or rule jumps to is declared before it:
		// nft -f reads the table in order.
		declared := map[string]bool{}
		for _, l := range strings.Split(got, "\n") {
			if name, ok := strings.CutPrefix(strings.TrimSpace(l), "chain "); ok {
				declared[strings.TrimSuffix(name, " {")] = true
			}
			for _, w := range strings.Fields(l) {
				if target, ok := strings.CutPrefix(w, "nat-prerouting-and-output"); ok && target == "" && !declared["nat-prerouting-and-output"] {
					t.Errorf("%s: jump before the chain: %q", tc.name, l)
				}
			}
		}
	}
}

func TestParseDockerConfig(t *testing.T) {
	f := false
	for _, tc := range []struct {
		in   string
		want dockerConfig
		err  string
	}{
		{in: ``},
		{in: `{}`},
		{in: `{"iptables": false, "ip6tables": true, "bridge": "none"}`, want: dockerConfig{IPTables: &f, IP6Tables: new(bool), Bridge: "none"}},
		{in: `{"iptables": false} {}`, err: "more than one JSON value"},
		{in: "{\n\n\"iptables\": 0}", err: "line 3"},
		{in: `[1]`, err: "cannot unmarshal array"},
		{in: `{"iptables": tru`, err: "unexpected EOF"},
	} {
		got, err := parseDockerConfig([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if isTrue(got.IPTables, true) != isTrue(tc.want.IPTables, true) || (got.IP6Tables != nil) != (tc.want.IP6Tables != nil) || got.Bridge != tc.want.Bridge {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseDockerDefaults(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // dockerRules' view: iptables, ip6tables, masq, hairpin, icc, ipv6, bridge
	}{
		{in: "", want: "true false true false true false "},
		{in: "#DOCKER_OPTS=\"--iptables=false\"\n", want: "true false true false true false "},
		{in: "DOCKER_OPTS=\"--iptables=false\"\nDOCKER_OPTS=\"--icc=false\"\n", want: "true false true false false false "},
		{in: "export DOCKER_OPTS='--ip6tables --ipv6 --ip-masq=false --userland-proxy=false -b none'", want: "true true false true true true none"},
		{in: "DOCKER_OPTS=\"--bridge br0 --iptables=true\"", want: "true false true false true false br0"},
	} {
		c, err := parseDockerDefaults([]byte(tc.in))
		got := fmt.Sprintf("%v %v %v %v %v %v %s", isTrue(c.IPTables, true), isTrue(c.IP6Tables, false), isTrue(c.IPMasq, true), !isTrue(c.UserlandProxy, true), isTrue(c.ICC, true), c.IPv6, c.Bridge)
		if err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseDockerConfig(f *testing.F) {
	f.Add([]byte(`{"iptables": false, "ip6tables": true, "ipv6": true}`))
	f.Add([]byte("{\n\"icc\": \"x\"\n}"))
	f.Add([]byte("DOCKER_OPTS=\"-b --ip6tables=false --iptables\""))
	f.Add([]byte(`{"allow-direct-routing": true, "userland-proxy": false, "icc": false}`))
	f.Add([]byte("DOCKER_OPTS=\"--allow-direct-routing --ipv6\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		flags, _ := parseDockerDefaults(data)
		c, err := parseDockerConfig(data)
		c = c.merge(flags)
		if err == nil {
			// Debian 12's 20.10, and the releases whose rules differ.
			for _, rel := range []release{{}, {20, 10}, {27, 3}, {27, 5}, {28, 0}, {29, 7}} {
				for _, family := range []string{"ipv4", "ipv6"} {
					if _, invalid := ParseIptablesSave([]byte(dockerRules(family, c, rel))); len(invalid) != 0 {
						t.Fatalf("rules for %+v, %+v: %+v", c, rel, invalid)
					}
				}
				if len(dockerModprobes(c, rel)) == 0 {
					t.Fatalf("no modules loaded by dockerd %+v for %+v", rel, c)
				}
			}
		}
	})
}

// TestRuntimeRulesFiles: the rules the VM scenarios load are the rules the
// sources require (go test -run TestRuntimeRulesFiles -update-runtime-rules
// rewrites them).
func TestRuntimeRulesFiles(t *testing.T) {
	tr := true
	dir := filepath.Join(testenv.RepoDir(), "internal", "vmtest", "testdata", "managers", "files")
	for name, want := range map[string]string{
		"docker/rules.v4": dockerRules("ipv4", dockerConfig{}, release{}),
		"docker/rules.v6": dockerRules("ipv6", dockerConfig{IP6Tables: &tr, IPv6: true}, release{}),
		"docker/docker29.nft": "#!/usr/sbin/nft -f\n" + dockerNftRules("ipv4", dockerConfig{}) + "\n" +
			dockerNftRules("ipv6", dockerConfig{IPv6: true}),
		"kube-proxy/rules.v4": kubeProxyIptablesRules("ipv4", kubeProxyInvalidDrop),
		"kube-proxy/rules.v6": kubeProxyIptablesRules("ipv6", kubeProxyInvalidDrop),
		"kube-proxy/ipvs.v4":  kubeProxyIPVSRules("ipv4"),
		"kube-proxy/ipvs.v6":  kubeProxyIPVSRules("ipv6"),
		"kube-proxy/kube-proxy.nft": "#!/usr/sbin/nft -f\n" + kubeProxyNftRules + "\n" +
			kubeProxyNftRulesV6.Replace(kubeProxyNftRules),
	} {
		p := filepath.Join(dir, name)
		if *updateRuntimeRules {
			writeFile(t, p, want)
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != want {
			t.Errorf("%s differs from what the source requires (err %v): rerun with -update-runtime-rules", p, err)
		}
	}
}

// TestRuntimeRulesetFamily: one text asked for in both families is parsed
// for each, not served in the family asked first.
func TestRuntimeRulesetFamily(t *testing.T) {
	const text = "*filter\n-A INPUT -m rt -j DROP\nCOMMIT\n"
	for _, family := range []string{FamilyIPv4, FamilyIPv6, FamilyIPv4} {
		if r := runtimeRuleset(FormatIptables, family, text); r.Family != family || r.Format != FormatIptables || len(r.Needs) != 2 {
			t.Errorf("%s: %+v", family, r)
		}
	}
}
