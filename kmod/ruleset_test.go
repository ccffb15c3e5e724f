package kmod

import (
	"strings"
	"testing"
)

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

func FuzzRulesets(f *testing.F) {
	f.Add([]byte("*filter\n-A INPUT -m recent -j DROP\nCOMMIT\n"), true)
	f.Add([]byte("table inet f { chain c { ct state new log; } }\n"), false)
	f.Add([]byte("-A \"x\\\"\" -m\n"), true)
	f.Add([]byte("Package: docker-ce\nStatus: install ok installed\nVersion: 5:28.0.1-1~debian.12~bookworm\n"), true)
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
		for _, v := range dpkgVersions(data, dpkgPackages...) {
			if r := parseRelease(v); r.known() && (r.major <= 0 || r.minor < 0) {
				t.Fatalf("release %+v of %q", r, v)
			}
		}
		if r := parseRelease(string(data)); r.minor < 0 {
			t.Fatalf("release %+v", r)
		}
	})
}
