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
		// iptables-services' save files, named by their directory.
		"/var/lib/ip6tables/rules-save": {FormatIptables, "ipv6"}, "/var/lib/iptables/rules-save": {FormatIptables, "ipv4"},
		"/etc/ip6tables.d/rules": {FormatIptables, "ipv6"}, "/srv/ip6tables/main.nft": {FormatNftables, ""},
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
	f.Add([]byte("*raw\n-A P -p tcp -j CT --helper H.245 -m string --algo\n-A P -m helper --helper ftp -j CT --helper\nCOMMIT\n"), true)
	f.Add([]byte("table inet t { ct helper h { type \"ftp\" protocol tcp }; flowtable ft { }; chain c { ct count 1 flow offload @ft fwd to x } }\n"), false)
	f.Add([]byte("define H = \"ftp\"\ntable netdev n { ct helper set { type $H; }; synproxy name \"s\"; chain c { dup to \"lo\" dup; counter name } }\n"), false)
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

// TestRulesetPathAt: what an entry gives wins over what the file's name
// implies, and an nftables file never has a family.
func TestRulesetPathAt(t *testing.T) {
	for _, c := range []struct {
		entry RulesetPath
		file  string
		want  RulesetPath
	}{
		{RulesetPath{Path: "/etc/iptables/rules.v4"}, "/etc/iptables/rules.v4", RulesetPath{"/etc/iptables/rules.v4", FormatIptables, FamilyIPv4}},
		{RulesetPath{Path: "/srv/fw/rules", Family: FamilyIPv6}, "/srv/fw/rules", RulesetPath{"/srv/fw/rules", FormatIptables, FamilyIPv6}},
		{RulesetPath{Path: "/etc/iptables/rules.v6", Family: FamilyIPv4}, "/etc/iptables/rules.v6", RulesetPath{"/etc/iptables/rules.v6", FormatIptables, FamilyIPv4}},
		// An explicit iptables-save format on an nftables name: the
		// family is told from the name as for any iptables-save file.
		{RulesetPath{Path: "/srv/fw6/*.nft", Format: FormatIptables}, "/srv/fw6/a.nft", RulesetPath{"/srv/fw6/a.nft", FormatIptables, FamilyIPv4}},
		{RulesetPath{Path: "/srv/fw/*", Format: FormatIptables}, "/srv/fw/v6.nft", RulesetPath{"/srv/fw/v6.nft", FormatIptables, FamilyIPv6}},
		{RulesetPath{Path: "/srv/fw/*", Format: FormatNftables, Family: FamilyIPv6}, "/srv/fw/rules.v6", RulesetPath{"/srv/fw/rules.v6", FormatNftables, ""}},
		// A glob's family applies to its iptables-save matches only.
		{RulesetPath{Path: "/srv/fw/*", Family: FamilyIPv6}, "/srv/fw/main.nft", RulesetPath{"/srv/fw/main.nft", FormatNftables, ""}},
		{RulesetPath{Path: "/srv/fw/*", Family: FamilyIPv6}, "/srv/fw/rules", RulesetPath{"/srv/fw/rules", FormatIptables, FamilyIPv6}},
		// What config refuses is left to the name, never a file unread.
		{RulesetPath{Path: "/srv/fw/rules6", Format: "iptables", Family: "inet6"}, "/srv/fw/rules6", RulesetPath{"/srv/fw/rules6", FormatIptables, FamilyIPv6}},
		{RulesetPath{Path: "/srv/fw/main.nft", Format: "nft"}, "/srv/fw/main.nft", RulesetPath{"/srv/fw/main.nft", FormatNftables, ""}},
	} {
		if got := c.entry.at(c.file); got != c.want {
			t.Errorf("%+v at %s: %+v, want %+v", c.entry, c.file, got, c.want)
		}
	}
	r := ParseRuleset([]byte("*filter\n-A INPUT -m rt -j DROP\nCOMMIT\n"), RulesetPath{Path: "/srv/fw/rules", Family: FamilyIPv6})
	if r.Path != "/srv/fw/rules" || r.Format != FormatIptables || r.Family != FamilyIPv6 || len(r.Needs) != 2 || len(r.Invalid) != 0 {
		t.Errorf("ParseRuleset with a family: %+v", r)
	}
	r = ParseRuleset([]byte("table inet f { chain c { ct state new accept; } }\n"), RulesetPath{Path: "/srv/fw/rules", Format: FormatNftables, Family: FamilyIPv6})
	if r.Format != FormatNftables || r.Family != "" || len(r.Invalid) != 0 || len(r.Needs) == 0 {
		t.Errorf("ParseRuleset as nftables: %+v", r)
	}
}
