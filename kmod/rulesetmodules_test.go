package kmod

import (
	"reflect"
	"testing"
)

// The same rules need different modules under each iptables backend.
func TestRulesetModulesByBackend(t *testing.T) {
	s := snapshot(t, "healthy")
	r := ParseRuleset([]byte("*nat\n-A POSTROUTING -m conntrack --ctstate NEW -j MASQUERADE\n-A X -m icmp -m nosuchmatch -j NOSUCHTARGET\nCOMMIT\n"), RulesetPath{Path: "/etc/iptables/rules.v4"})
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
	r = ParseRuleset([]byte("*filter\n-A INPUT -p tcp --syn -j ACCEPT\nCOMMIT\n"), RulesetPath{Path: "/etc/iptables/rules.v6"})
	if got := s.RulesetModules(r, "legacy"); !reflect.DeepEqual(got, []string{"ip6table_filter", "xt_tcpudp"}) {
		t.Errorf("implicit tcp match: %v", got)
	}
}
