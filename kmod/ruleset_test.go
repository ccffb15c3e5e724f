package kmod

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseIptablesSave(t *testing.T) {
	in := `# comment
*filter
:INPUT DROP [0:0]
:GUARD - [0:0]
-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport 22 -j GUARD
-A INPUT -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -m comment --comment "a \"quoted\" -m fake comment" -j LOG --log-prefix "x -j FAKE"
-N LATE
-A INPUT -j LATE
-A INPUT ! -s 10.0.0.0/8 -m set --match-set bad src -j DROP
-A GUARD -m recent --set
-I INPUT 1 -m multiport --dports 1,2 -g GUARD
bogus line
-A INPUT -m
-A INPUT -m "unterminated
COMMIT
-A INPUT -j ACCEPT
*nat
-A POSTROUTING -j MASQUERADE
COMMIT
`
	needs, invalid := ParseIptablesSave([]byte(in))
	want := []Need{
		{"table", "filter"}, {"match", "conntrack"}, {"match", "tcp"}, {"match", "udp"}, {"match", "comment"},
		{"match", "set"}, {"match", "recent"}, {"match", "multiport"}, {"table", "nat"}, {"target", "LOG"}, {"target", "MASQUERADE"},
	}
	if !reflect.DeepEqual(needs, want) {
		t.Errorf("needs:\n got %v\nwant %v", needs, want)
	}
	var lines []int
	for _, l := range invalid {
		lines = append(lines, l.Line)
	}
	if !reflect.DeepEqual(lines, []int{14, 15, 16, 18}) {
		t.Errorf("invalid lines %v: %+v", lines, invalid)
	}
}

func TestParseNftables(t *testing.T) {
	in := `#!/usr/sbin/nft -f
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established accept # ct in a comment: log
		meta l4proto tcp counter reject with tcp reset
		fib daddr type local limit rate 10/second log prefix "masquerade snat" accept
	}
}
table ip nat {
	chain post { type nat hook postrouting priority 100; masquerade; }
	chain pre { type nat hook prerouting priority -100; dnat to 10.0.0.1 }
}
`
	needs, invalid := ParseNftables([]byte(in))
	var got []string
	for _, n := range needs {
		if n.Kind == "logger" {
			n.Name = "logger " + n.Name
		}
		got = append(got, n.Name)
	}
	// An inet table's log asks for the IPv4 (2) and IPv6 (10) loggers.
	want := []string{"nf_tables", "nft_ct", "nf_conntrack", "nft_reject_inet", "nft_fib_inet", "nft_limit", "nft_log", "logger 2-0", "logger 10-0", "nft_chain_nat", "nft_masq", "nft_nat"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if len(invalid) != 0 {
		t.Errorf("invalid: %+v", invalid)
	}
	_, invalid = ParseNftables([]byte("table ip x {\n}\n}\nlog prefix \"open\n"))
	if len(invalid) != 2 || invalid[0].Line != 3 || invalid[1].Line != 4 {
		t.Errorf("want unbalanced } on 3 and unterminated string on 4: %+v", invalid)
	}
}

func TestRulesetFormat(t *testing.T) {
	for p, want := range map[string][2]string{
		"/etc/iptables/rules.v4": {FormatIptables, "ipv4"}, "/etc/iptables/rules.v6": {FormatIptables, "ipv6"},
		"/etc/sysconfig/iptables": {FormatIptables, "ipv4"}, "/etc/sysconfig/ip6tables": {FormatIptables, "ipv6"},
		"/etc/nftables.conf": {FormatNftables, ""}, "/etc/fw/main.nft": {FormatNftables, ""},
	} {
		if f, fam := RulesetFormat(p); f != want[0] || fam != want[1] {
			t.Errorf("%s: %s %s", p, f, fam)
		}
	}
}

// The same rules need different modules under each iptables backend.
func TestRulesetModulesByBackend(t *testing.T) {
	s := snapshot(t, "healthy")
	r := ParseRuleset([]byte("*nat\n-A POSTROUTING -m conntrack --ctstate NEW -j MASQUERADE\n-A X -m icmp -m nosuchmatch -j NOSUCHTARGET\nCOMMIT\n"), "/etc/iptables/rules.v4")
	for backend, want := range map[string][]string{
		"legacy":    {"iptable_nat", "xt_conntrack", "nf_conntrack", "xt_nosuchmatch", "xt_MASQUERADE", "xt_NOSUCHTARGET"},
		"nf_tables": {"nf_tables", "nft_chain_nat", "xt_conntrack", "nf_conntrack", "nft_compat", "xt_nosuchmatch", "xt_MASQUERADE", "xt_NOSUCHTARGET"},
		"":          {"xt_conntrack", "nf_conntrack", "xt_nosuchmatch", "xt_MASQUERADE", "xt_NOSUCHTARGET"},
	} {
		if got := s.RulesetModules(r, backend); !reflect.DeepEqual(got, want) {
			t.Errorf("%q backend:\n got %v\nwant %v", backend, got, want)
		}
	}
	// Aliases of the running release decide the module: ipt_tcp is xt_tcpudp.
	r = ParseRuleset([]byte("*filter\n-A INPUT -p tcp --syn -j ACCEPT\nCOMMIT\n"), "/etc/iptables/rules.v6")
	if got := s.RulesetModules(r, "legacy"); !reflect.DeepEqual(got, []string{"ip6table_filter", "xt_tcpudp"}) {
		t.Errorf("implicit tcp match: %v", got)
	}
}

func TestKernelConfig(t *testing.T) {
	c := ParseKernelConfig([]byte("CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=\"str\"\n#CONFIG_E is not set\n"))
	for sym, want := range map[string]string{"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_C": "n", "CONFIG_D": "n", "CONFIG_E": "n", "CONFIG_MISSING": "n"} {
		if got := c.Tristate(sym); got != want {
			t.Errorf("%s = %q, want %q", sym, got, want)
		}
	}
	if c["CONFIG_D"] != "str" {
		t.Errorf("string value: %q", c["CONFIG_D"])
	}
	for m, want := range map[string]string{"xt_recent": "CONFIG_NETFILTER_XT_MATCH_RECENT", "xt_set": "CONFIG_NETFILTER_XT_SET",
		"xt_multiport": "CONFIG_NETFILTER_XT_MATCH_MULTIPORT", "nf_conntrack": "CONFIG_NF_CONNTRACK", "xt_tcpudp": "CONFIG_NETFILTER_XTABLES"} {
		if got, _ := ConfigSymbol(m); got != want {
			t.Errorf("ConfigSymbol(%s) = %q, want %q", m, got, want)
		}
	}
	// /proc/config.gz is the fallback when /boot has no config.
	d := copyTree(t, "healthy")
	must(t, os.Remove(filepath.Join(d, "root/boot/config-6.1.0-18-amd64")))
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
	if _, _, ok, err := h.KernelConfig("6.1.0-18-amd64"); ok || err != nil {
		t.Errorf("no config anywhere: ok=%v err=%v", ok, err)
	}
	writeGzip(t, filepath.Join(d, "proc/config.gz"), "CONFIG_NETFILTER_XT_SET=y\n")
	cfg, src, ok, err := h.KernelConfig("6.1.0-18-amd64")
	if !ok || err != nil || src != "/proc/config.gz" || cfg.Tristate("CONFIG_NETFILTER_XT_SET") != "y" {
		t.Errorf("config.gz: %v %q %v %v", cfg, src, ok, err)
	}
	// Cached while unchanged, read again once changed.
	writeGzip(t, filepath.Join(d, "proc/config.gz"), "CONFIG_NETFILTER_XT_SET=m\nCONFIG_NF_CONNTRACK=m\n")
	if cfg, _, _, err := h.KernelConfig("6.1.0-18-amd64"); err != nil || cfg.Tristate("CONFIG_NETFILTER_XT_SET") != "m" {
		t.Errorf("changed config.gz not read again: %v %v", cfg, err)
	}
}

func TestDpkgVersion(t *testing.T) {
	status := "Package: iptables\nStatus: deinstall ok config-files\nVersion: 1.8.7-1\n\nPackage: iptables\nStatus: install ok installed\nDescription: x\n Version: 0.0 in a description\nVersion: 1.8.9-2\n\nPackage: iptables-persistent\nStatus: install ok installed\nVersion: 1.0.20\n"
	if got := DpkgVersion([]byte(status), "iptables"); got != "1.8.9-2" {
		t.Errorf("got %q", got)
	}
	if got := DpkgVersion([]byte(status), "nftables"); got != "" {
		t.Errorf("absent package: %q", got)
	}
}

func TestXtablesAndConntrack(t *testing.T) {
	x, err := ReadXtables("../fixtures/healthy/proc", "ipv4")
	if err != nil || !x.Available || !x.Matches["recent"] || x.Matches["nosuch"] || !x.Targets["REJECT"] {
		t.Errorf("ipv4: %+v %v", x, err)
	}
	if x, err := ReadXtables("../fixtures/healthy/proc", "ipv6"); err != nil || x.Available {
		t.Errorf("ipv6 files absent must be not available, not an error: %+v %v", x, err)
	}
	ct, err := ReadConntrack("../fixtures/conntrack-near-full/proc")
	if err != nil || !ct.Available || ct.Entries != 259000 || ct.Limit != 262144 || ct.Stats.Drop != 812+790 || ct.Stats.EarlyDrop != 4093+3981 {
		t.Errorf("conntrack: %+v %v", ct, err)
	}
	if ct, err := ReadConntrack("../fixtures/not-loaded/proc"); err != nil || ct.Available {
		t.Errorf("nf_conntrack not loaded: %+v %v", ct, err)
	}
}

func FuzzRulesets(f *testing.F) {
	f.Add([]byte("*filter\n-A INPUT -m recent -j DROP\nCOMMIT\n"), true)
	f.Add([]byte("table inet f { chain c { ct state new log; } }\n"), false)
	f.Add([]byte("-A \"x\\\"\" -m\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, iptables bool) {
		var needs []Need
		var invalid []InvalidLine
		if iptables {
			needs, invalid = ParseIptablesSave(data)
		} else {
			needs, invalid = ParseNftables(data)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, l := range invalid {
			if l.Line < 0 || l.Line > lines {
				t.Fatalf("invalid line %d of %d", l.Line, lines)
			}
		}
		for _, n := range needs {
			if n.Name == "" {
				t.Fatalf("empty need %+v", n)
			}
		}
		ParseKernelConfig(data)
		DpkgVersion(data, "iptables")
	})
}
