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

// What the kernel requests by alias at run time (booted kernels:
// internal/vmtest/testdata/rulesets.d/20-runtime.sh): ct count is
// connlimit and needs no nft_ct; a ct helper's type string names the
// helper; fwd and flowtables by the table's family; words that only look
// like the statements need nothing.
func TestParseNftablesRuntimeAliases(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"table inet f {\n\tct helper ftp-std {\n\t\ttype \"ftp\" protocol tcp\n\t\tl3proto ip\n\t}\n}\n", []string{"nf_tables", "nft_ct", "nf_conntrack", "alias nfct-helper-ftp"}},
		{"table ip f { ct helper h { type \"H.245\" protocol udp; }; chain c { ct helper set \"h\"; } }", []string{"nf_tables", "nft_ct", "nf_conntrack", "alias nfct-helper-H.245", "alias nft-expr-objref"}},
		{"table inet f {\n\tchain c {\n\t\ttcp dport 22 ct count over 10 drop\n\t}\n}\n", []string{"nf_tables", "alias nft-expr-connlimit"}},
		{"table inet f {\n\tchain c {\n\t\tudp dport 53 notrack\n\t}\n}\n", []string{"nf_tables", "alias nft-expr-notrack"}},
		{"table netdev n {\n\tchain c {\n\t\ttype filter hook ingress device \"lo\" priority 0\n\t\tip daddr 192.0.2.1 fwd to \"lo\"\n\t\tfwd ip to 192.0.2.2 device \"lo\"\n\t}\n}\n", []string{"nf_tables", "alias nft-expr-5-fwd"}},
		{"table inet f {\n\tflowtable ft {\n\t\thook ingress priority filter\n\t\tdevices = { lo }\n\t}\n\tchain c {\n\t\tflow add @ft\n\t}\n}\n", []string{"nf_tables", "alias nf-flowtable-1", "alias nft-expr-flow_offload"}},
		{"table ip f {\n\tflowtable ft { devices = { lo }; }\n\tchain c { flow offload @ft; }\n}\nadd flowtable ip6 f6 ft { hook ingress priority 0; }\n", []string{"nf_tables", "alias nf-flowtable-2", "alias nft-expr-flow_offload", "alias nf-flowtable-10"}},
		// Named objects: declaring one loads its type's module (the
		// keyword's); a rule naming one, or a map of names, is objref.
		{"table inet f {\n\tct timeout to { protocol tcp; l3proto ip; policy = { established: 120 } }\n\tchain c {\n\t\tct timeout set \"to\"\n\t}\n}\n", []string{"nf_tables", "nft_ct", "nf_conntrack", "alias nft-expr-objref"}},
		{"table ip f {\n\tct expectation e { protocol tcp; dport 5432; timeout 1h; size 12; }\n\tchain c { ct expectation set \"e\"; }\n}\n", []string{"nf_tables", "nft_ct", "nf_conntrack", "alias nft-expr-objref"}},
		{"table inet f {\n\tcounter c { }\n\tchain i {\n\t\ttcp dport 22 counter name \"c\"\n\t}\n}\n", []string{"nf_tables", "alias nft-expr-objref"}},
		{"table inet f {\n\tquota q { over 1 mbytes }\n\tlimit l { rate 10/second }\n\tchain i { quota name \"q\"; limit name tcp dport map { 22 : \"l\" }; }\n}\n", []string{"nf_tables", "nft_quota", "nft_limit", "alias nft-expr-objref"}},
		{"table ip f {\n\tsynproxy s { mss 1460 wscale 7 }\n\tchain i { tcp dport 80 ct state invalid,untracked synproxy name \"s\"; }\n}\n", []string{"nf_tables", "nft_synproxy", "nft_ct", "nf_conntrack", "alias nft-expr-objref"}},
		// An object called name is declared, not referenced; a
		// ct helper object declared is no reference either.
		{"table ip f {\n\tquota name { over 1 mbytes }\n\tcounter name {}\n\tct helper set { type \"ftp\" protocol tcp; }\n}\n", []string{"nf_tables", "nft_quota", "nft_ct", "nf_conntrack", "alias nfct-helper-ftp"}},
		// dup by the table's family: ip, ip6, netdev; inet has none
		// (its alias names no module), a chain named dup is no dup.
		{"table ip d { chain c { dup to 192.0.2.2; }; chain dup { jump dup; } }\ntable ip6 d6 { chain c { dup to ::1 device \"lo\"; } }\ntable netdev n { chain c { dup to \"lo\"; } }\ntable inet i { chain c { dup to ip 192.0.2.2; } }\n", []string{"nf_tables", "alias nft-expr-2-dup", "alias nft-expr-10-dup", "alias nft-expr-5-dup", "alias nft-expr-1-dup"}},
		// The name a rule sets from a define is an objref like any;
		// a ct helper's type from a define is none: nft 1.0.6 rejects
		// "type $H" (expecting quoted string), the ruleset loads
		// nothing (rulesets.d/30-objects.sh's first try).
		{"define OBJ = \"ftp-std\"\ndefine TO=\"short\"\ntable inet f {\n\tct helper ftp-std { type \"ftp\" protocol tcp; }\n\tchain c { tcp dport 21 ct helper set $OBJ; ct timeout set $TO; }\n}\n", []string{"nf_tables", "nft_ct", "nf_conntrack", "alias nfct-helper-ftp", "alias nft-expr-objref"}},
		{"define H = \"sip\"\ntable ip f { ct helper s { type $H protocol udp; }; chain c { log prefix $H } }\n", []string{"nf_tables", "nft_ct", "nf_conntrack", "nft_log", "logger 2-0"}},
		// A chain named fwd, a set of type ipv4_addr, a helper
		// type string with a brace, a log prefix "type": nothing.
		{"table inet f {\n\tset s { type ipv4_addr; }\n\tchain fwd { jump fwd; ct helper \"x\"; }\n\tct helper h { type \"f{\" protocol tcp; }\n\tchain d { meta mark 1 comment \"type\" }\n}\n", []string{"nf_tables", "nft_ct", "nf_conntrack"}},
	} {
		needs, invalid := ParseNftables([]byte(c.in))
		if got := needNames(needs); !reflect.DeepEqual(got, c.want) || len(invalid) != 0 {
			t.Errorf("%q:\n got %v (invalid %+v)\nwant %v", c.in, got, invalid, c.want)
		}
	}
}
