package kmod

import (
	"path"
	"strings"
)

// Ruleset formats.
const (
	FormatIptables = "iptables-save"
	FormatNftables = "nftables"
)

// Need is one thing a ruleset asks of the kernel.
type Need struct {
	// Kind is "table", "match" or "target" for iptables rulesets, and
	// "module" for nftables, whose statements map to modules directly;
	// "logger" (Name "<nfproto>-<type>") for a log statement of either;
	// "alias" (Name the alias, nfct-helper-ftp, ts_bm, nft-expr-notrack)
	// for a module the kernel requests by alias at run time, resolved on
	// the running release's tree.
	Kind string
	Name string
}

// InvalidLine is a ruleset line that could not be parsed.
type InvalidLine struct {
	Line   int
	Reason string
}

// Ruleset is what a firewall ruleset file needs.
type Ruleset struct {
	Path    string
	Format  string
	Family  string // ipv4 or ipv6 for iptables rulesets, "" for nftables
	Needs   []Need
	Invalid []InvalidLine
}

// RulesetFormat tells a ruleset's format and IP family from its path, as the
// distributions name them: /etc/nftables.conf (and *.nft) is nftables; a
// name with "6" (rules.v6, ip6tables) is an IPv6 iptables-save file; the rest
// are IPv4 iptables-save files.
func RulesetFormat(p string) (format, family string) {
	base := path.Base(p)
	if strings.HasPrefix(base, "nftables") || strings.HasSuffix(base, ".nft") {
		return FormatNftables, ""
	}
	if strings.Contains(base, "6") {
		return FormatIptables, "ipv6"
	}
	return FormatIptables, "ipv4"
}

// ParseRuleset parses a ruleset file in the format its path implies.
func ParseRuleset(data []byte, p string) Ruleset {
	format, family := RulesetFormat(p)
	r := Ruleset{Path: p, Format: format, Family: family}
	if format == FormatNftables {
		r.Needs, r.Invalid = ParseNftables(data)
	} else {
		r.Needs, r.Invalid = ParseIptablesSave(data)
	}
	return r
}
