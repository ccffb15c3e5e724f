package kmod

// iptablesRulesets are the iptables-save files (iptables-persistent's
// rules.v4 and rules.v6, RHEL's /etc/sysconfig/iptables): their tables,
// matches and targets, as the kernel requests them (see RulesetModules).
var iptablesRulesets = rulesetSource{name: "iptables-save", format: FormatIptables}

// iptablesCoreMatches are matches that live in a core module: ip_tables /
// ip6_tables until 6.11, xt_tcpudp since. The kernel requests them through
// the usual alias (ipt_icmp); a tree without that alias has them in the
// core, which the table already requires.
var iptablesCoreMatches = map[string]map[string]bool{
	"ipv4": {"icmp": true},
	"ipv6": {"icmp6": true},
}

// iptablesMatchAliases are matches iptables (1.4.19 and later) loads under
// another name: -m state is the conntrack match's revision 1, so the
// kernel loads xt_conntrack and never xt_state (both booted kernels agree).
var iptablesMatchAliases = map[string]string{"state": "conntrack"}

// nftNativeMatches are matches iptables-nft translates to an nftables
// expression besides probing the xt_ module: the kernel loads both.
var nftNativeMatches = map[string][]string{"limit": {"nft_limit"}}

// loggerTargets are targets whose rule makes the kernel request a logger,
// by type (nf_log: 0 LOG, 1 NFLOG/ULOG).
var loggerTargets = map[string]int{"LOG": 0, "NFLOG": 1}

// nfprotoOf is the NFPROTO number of each iptables family.
var nfprotoOf = map[string]int{"ipv4": 2, "ipv6": 10}

// xtPrefix is the prefix of the module alias the kernel requests for an
// extension of each family (xt_request_find_match: "ipt_recent").
var xtPrefix = map[string]string{"ipv4": "ipt_", "ipv6": "ip6t_"}

// tablePrefix names the legacy table modules of each family.
var tablePrefix = map[string]string{"ipv4": "iptable_", "ipv6": "ip6table_"}

// ExtensionModule names the module that provides an iptables match or
// target: "" for the core's own (icmp, icmp6, verdicts).
func (s *Snapshot) ExtensionModule(family, name string) string {
	if iptablesCoreMatches[family][name] || iptablesCoreTargets[name] {
		return ""
	}
	if m := s.extensionModules(family, name); len(m) > 0 {
		return m[0]
	}
	return ""
}

func (s *Snapshot) extensionModules(family, name string) []string {
	if !validIdent(name) {
		return nil
	}
	if m := s.Resolve(xtPrefix[family] + name); s.knownModule(m) {
		return m
	}
	if m := s.Resolve("xt_" + name); s.knownModule(m) {
		return m
	}
	return []string{Normalize("xt_" + name)}
}
