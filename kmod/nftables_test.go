package kmod

import (
	"reflect"
	"testing"
)

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

// `ct status dnat` matches DNATed connections: a ct expression, not the
// dnat statement, so nft_nat is not needed for it.
func TestNftablesCtStatusIsNoStatement(t *testing.T) {
	for _, rule := range []string{"ct status dnat accept", "ct status snat,dnat accept", "ct status { dnat, snat } accept", "ct status != dnat drop"} {
		needs, invalid := ParseNftables([]byte("table inet f {\n\tchain c {\n\t\t" + rule + "\n\t}\n}\n"))
		var got []string
		for _, n := range needs {
			got = append(got, n.Name)
		}
		if want := []string{"nf_tables", "nft_ct", "nf_conntrack"}; !reflect.DeepEqual(got, want) || len(invalid) > 0 {
			t.Errorf("%q: got %v (invalid %v), want %v", rule, got, invalid, want)
		}
	}
	// A real dnat statement after a ct status match still needs nft_nat.
	needs, _ := ParseNftables([]byte("table ip nat {\n\tchain pre {\n\t\ttype nat hook prerouting priority -100; ct status dnat dnat to 10.0.0.1\n\t}\n}\n"))
	var got []string
	for _, n := range needs {
		got = append(got, n.Name)
	}
	if want := []string{"nf_tables", "nft_chain_nat", "nft_ct", "nf_conntrack", "nft_nat"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ct status then dnat: got %v, want %v", got, want)
	}
}

// A define's value is an expression, not a statement: "define S = dnat"
// needs no nft_nat, and the statements after the defines still parse.
// ParseNftables alone does not follow includes.
func TestParseNftablesDefines(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"define S = dnat\ndefine P = { 22, 80 }\ntable ip t {\n\tchain c {\n\t\tct status $S tcp dport $P limit rate 1/second\n\t}\n}\n", []string{"nf_tables", "nft_ct", "nf_conntrack", "nft_limit"}},
		{"define A = {\n\tmasquerade\n}\ntable ip t {\n\tchain c {\n\t\tquota 1 mbytes\n\t}\n}\n", []string{"nf_tables", "nft_quota"}},
		{"table ip t {\n\tchain c {\n\t\tip saddr $nowhere queue\n\t}\n}\n", []string{"nf_tables", "nft_queue"}},
		{"include \"/etc/nftables.d/*.nft\"\ntable ip t {\n}\n", []string{"nf_tables"}},
	} {
		needs, invalid := ParseNftables([]byte(c.in))
		if got := needNames(needs); !reflect.DeepEqual(got, c.want) || len(invalid) != 0 {
			t.Errorf("%q: got %v (invalid %+v), want %v", c.in, got, invalid, c.want)
		}
	}
}
