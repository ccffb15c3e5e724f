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

// Ruleset IP families of iptables-save files.
const (
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// RulesetPath is one ruleset entry of a spec: a file or a glob, with the
// format and family the configuration gives it. What it leaves "" is told
// from each file's name (see RulesetFormat): a name cannot say that
// /srv/fw/rules holds IPv6 rules.
type RulesetPath struct {
	Path   string
	Format string // FormatIptables, FormatNftables, or "" to tell from the name
	Family string // FamilyIPv4, FamilyIPv6, or "" to tell; iptables-save only
}

// RulesetPaths are entries whose format and family their names tell.
func RulesetPaths(paths ...string) []RulesetPath {
	out := make([]RulesetPath, len(paths))
	for i, p := range paths {
		out[i] = RulesetPath{Path: p}
	}
	return out
}

// at is the file p (the entry's path, or one match of its glob) in the
// entry's format and family, what the entry leaves out told from p's name.
// A value config would refuse counts as left out: no source reads a
// format of neither kind, and a file must not silently go unread.
func (e RulesetPath) at(p string) RulesetPath {
	r := RulesetPath{Path: p, Format: e.Format, Family: e.Family}
	if r.Format != FormatIptables && r.Format != FormatNftables {
		r.Format, _ = RulesetFormat(p)
	}
	if r.Format == FormatNftables {
		r.Family = "" // an nftables file names its families in its tables
	} else if r.Family != FamilyIPv4 && r.Family != FamilyIPv6 {
		r.Family = iptablesFamily(p)
	}
	return r
}

// RulesetFormat tells a ruleset's format and IP family from its path, as the
// distributions name them: /etc/nftables.conf (and *.nft) is nftables; a
// name with "6" (rules.v6, ip6tables) or a directory naming ip6tables
// (/var/lib/ip6tables/rules-save) is an IPv6 iptables-save file; the rest
// are IPv4 iptables-save files. A configured format or family wins over it
// (RulesetPath).
func RulesetFormat(p string) (format, family string) {
	base := path.Base(p)
	if strings.HasPrefix(base, "nftables") || strings.HasSuffix(base, ".nft") {
		return FormatNftables, ""
	}
	return FormatIptables, iptablesFamily(p)
}

// iptablesFamily is the family an iptables-save file's path implies.
func iptablesFamily(p string) string {
	if strings.Contains(path.Base(p), "6") || strings.Contains(path.Dir(p), "ip6tables") {
		return FamilyIPv6
	}
	return FamilyIPv4
}

// ParseRuleset parses a ruleset file in the entry's format and family,
// what it leaves out told from its path.
func ParseRuleset(data []byte, e RulesetPath) Ruleset {
	e = e.at(e.Path)
	r := Ruleset{Path: e.Path, Format: e.Format, Family: e.Family}
	if e.Format == FormatNftables {
		r.Needs, r.Invalid = ParseNftables(data)
	} else {
		r.Needs, r.Invalid = ParseIptablesSave(data)
	}
	return r
}
