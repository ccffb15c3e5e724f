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
