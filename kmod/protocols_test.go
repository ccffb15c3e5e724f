package kmod

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseProtocols(t *testing.T) {
	got := ParseProtocols([]byte("# comment\nip\t0\tIP\t\t# internet protocol\ntcp 6 TCP\nipv6-icmp 58 IPv6-ICMP\nTCPAGAIN 6\nbad x\n  \nhuge 256\nneg -1\nshort\n"))
	want := map[int]string{0: "ip", 6: "tcp", 58: "ipv6-icmp"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// The protocol match iptables loads for -p without -m: by name, number or
// libxtables' aliases, never a module named after the protocol's spelling.
func TestProtocolMatches(t *testing.T) {
	rules := "*filter\n" +
		"-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT\n" +
		"-A INPUT -p icmpv6 --icmpv6-type 1 -j ACCEPT\n" +
		"-A INPUT -p 6 --dport 22 -j ACCEPT\n" +
		"-A INPUT -p 253 --dport 9 -j ACCEPT\n" +
		"-A INPUT -p all -j ACCEPT\n" +
		"COMMIT\n"
	r := ParseRuleset([]byte(rules), RulesetPath{Path: "/etc/iptables/rules.v6"})
	if len(r.Invalid) > 0 {
		t.Fatalf("invalid lines: %v", r.Invalid)
	}
	// Without /etc/protocols, libxtables' table names 6; 253 is unknown,
	// and iptables loads no match for it.
	if got := snapshot(t, "healthy").RulesetModules(r, "legacy"); !reflect.DeepEqual(got, []string{"ip6table_filter", "xt_tcpudp"}) {
		t.Errorf("without /etc/protocols: %v", got)
	}
	// The host's /etc/protocols names numbers first.
	d := copyTree(t, "healthy")
	writeFile(t, filepath.Join(d, "root/etc/protocols"), "tcp 6 TCP\nsctp 253 SCTP\n")
	s, err := readSnapshot(t, hostAt(d))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.RulesetModules(r, "legacy"); !reflect.DeepEqual(got, []string{"ip6table_filter", "xt_tcpudp", "xt_sctp"}) {
		t.Errorf("with /etc/protocols: %v", got)
	}
}
