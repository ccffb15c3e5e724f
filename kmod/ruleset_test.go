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
	f.Add([]byte("*raw\n-A P -p tcp -j CT --helper H.245 -m string --algo\n-A P -m helper --helper ftp -j CT --helper\nCOMMIT\n"), true)
	f.Add([]byte("table inet t { ct helper h { type \"ftp\" protocol tcp }; flowtable ft { }; chain c { ct count 1 flow offload @ft fwd to x } }\n"), false)
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
