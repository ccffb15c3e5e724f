package kmod

import (
	"reflect"
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

// Options whose value the kernel requests as an alias at run time: CT's
// helper and the string match's algorithm; the helper match's --helper
// loads nothing, and a value the aliases cannot spell is no need.
func TestParseIptablesSaveRuntimeAliases(t *testing.T) {
	for _, c := range []struct {
		rule string
		want []Need
	}{
		{"-A PREROUTING -p tcp --dport 21 -j CT --helper ftp", []Need{{"table", "raw"}, {"alias", "nfct-helper-ftp"}, {"match", "tcp"}, {"target", "CT"}}},
		{"-A PREROUTING -p tcp -j CT --helper H.245 --zone 1", []Need{{"table", "raw"}, {"alias", "nfct-helper-H.245"}, {"target", "CT"}}},
		{`-A PREROUTING -m string --string "GET /" --algo bm --to 65535`, []Need{{"table", "raw"}, {"match", "string"}, {"alias", "ts_bm"}}},
		{`-A PREROUTING -m string --algo kmp --string "--helper x" -j DROP`, []Need{{"table", "raw"}, {"match", "string"}, {"alias", "ts_kmp"}}},
		{"-A PREROUTING -m helper --helper ftp -j ACCEPT", []Need{{"table", "raw"}, {"match", "helper"}}},
		{"-A PREROUTING -j CT --notrack", []Need{{"table", "raw"}, {"target", "CT"}}},
		{"-A PREROUTING -p tcp -j CT --helper ../x", []Need{{"table", "raw"}, {"target", "CT"}}},
		{"-A PREROUTING -m string --algo kmp -m string --algo bm -j CT --helper sip", []Need{{"table", "raw"}, {"match", "string"}, {"alias", "ts_kmp"}, {"alias", "ts_bm"}, {"alias", "nfct-helper-sip"}, {"target", "CT"}}},
	} {
		needs, invalid := ParseIptablesSave([]byte("*raw\n" + c.rule + "\nCOMMIT\n"))
		if !reflect.DeepEqual(needs, c.want) || len(invalid) > 0 {
			t.Errorf("%s:\n got %v (invalid %+v)\nwant %v", c.rule, needs, invalid, c.want)
		}
	}
}
