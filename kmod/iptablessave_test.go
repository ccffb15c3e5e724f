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
