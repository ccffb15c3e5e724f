package kmod

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// maxRulesetFile bounds one ruleset file.
const maxRulesetFile = 64 << 20

// ReadRuleset reads and parses a ruleset file, cached while it is unchanged.
// exists is false when there is no such file.
func (h *Host) ReadRuleset(hostPath string) (r Ruleset, exists bool, err error) {
	return h.readRuleset(h.root, hostPath)
}

func (h *Host) readRuleset(files fileReader, hostPath string) (r Ruleset, exists bool, err error) {
	return readCached(h, files, &h.rulesetCache, hostPath, maxRulesetFile, func(b []byte) (Ruleset, error) {
		return ParseRuleset(b, hostPath), nil
	})
}

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

// RulesetModules lists the modules a ruleset needs, in the order its needs
// appear, as the kernel would request them: a match or target NAME is the
// alias ipt_NAME (ip6t_NAME for IPv6) looked up like modprobe does, falling
// back to xt_NAME; conntrack and state also need nf_conntrack. Tables need
// iptable_TABLE with the legacy backend, nf_tables (and nft_chain_nat for
// nat) with iptables-nft, and nothing when the backend is unknown, since
// either may be in use. Extensions under iptables-nft also need nft_compat.
func (s *Snapshot) RulesetModules(r Ruleset, backend string) []string {
	var out []string
	add := func(ms ...string) {
		for _, m := range ms {
			if m != "" && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	for _, n := range r.Needs {
		switch n.Kind {
		case "module":
			add(n.Name)
		case "table":
			switch backend {
			case "legacy":
				add(tablePrefix[r.Family] + Normalize(n.Name))
			case "nf_tables":
				add("nf_tables")
				if n.Name == "nat" {
					add("nft_chain_nat")
				}
			}
		case "logger":
			// The logger is requested at run time through an alias
			// (nf-logger-2-0 is nf_log_syslog), not a modules.dep
			// dependency; a tree without the alias names no module.
			if m := s.Resolve("nf-logger-" + n.Name); s.knownModule(m) {
				add(m...)
			}
		case "match", "target":
			name := n.Name
			if n.Kind == "match" && iptablesCoreMatches[r.Family][name] {
				if m := s.Resolve(xtPrefix[r.Family] + name); s.knownModule(m) {
					add(m...)
					if backend == "nf_tables" {
						add("nft_compat")
					}
				}
				continue
			}
			if alias, ok := iptablesMatchAliases[name]; ok && n.Kind == "match" {
				name = alias
			}
			add(s.extensionModules(r.Family, name)...)
			if n.Kind == "match" && name == "conntrack" {
				add("nf_conntrack")
			}
			if t, ok := loggerTargets[name]; ok && n.Kind == "target" {
				if m := s.Resolve(fmt.Sprintf("nf-logger-%d-%d", nfprotoOf[r.Family], t)); s.knownModule(m) {
					add(m...)
				}
			}
			if backend == "nf_tables" {
				add("nft_compat")
				if n.Kind == "match" {
					add(nftNativeMatches[name]...)
				}
			}
		}
	}
	return out
}

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

// knownModule reports whether a resolved name is a module of the running
// release (in modules.dep or built in), not just a name nothing knows.
func (s *Snapshot) knownModule(mods []string) bool {
	for _, m := range mods {
		if s.dep.Has(m) || s.fallbackNames.Has(m) || s.builtin[m] {
			return true
		}
	}
	return false
}

// OtherReleases are the installed module trees other than the running
// kernel's: the kernels the next boot may run.
func (s *Snapshot) OtherReleases() []string {
	var out []string
	for _, t := range s.Trees {
		if t != s.Release {
			out = append(out, t)
		}
	}
	return out
}

// PresentInRelease reports whether another installed release has the
// module: built in, listed in its modules.dep, or (without modules.dep) a
// file in its tree.
func (s *Snapshot) PresentInRelease(module, release string) bool {
	if strings.ContainsAny(release, "/\x00") {
		return false
	}
	r := s.releaseIndex(release)
	if r.builtin[module] {
		return true
	}
	if r.dep.Len() > 0 {
		return r.dep.Has(module)
	}
	_, found := s.treeIndexOf(r.dir)[module]
	return found
}

// otherRelease is the index of another installed release.
type otherRelease struct {
	dir     string
	builtin map[string]bool
	dep     *ModulesDep
}

// releaseIndex reads another release's index once per snapshot, however
// many modules are asked about.
func (s *Snapshot) releaseIndex(release string) otherRelease {
	if r, ok := s.memo.releases[release]; ok {
		return r
	}
	r := otherRelease{dir: path.Join("/lib/modules", release)}
	r.builtin, _, _ = readCached(s.host, s.view, &s.host.builtinCache, path.Join(r.dir, "modules.builtin"), maxIndexFile, func(b []byte) (map[string]bool, error) { return ParseModulesBuiltin(b), nil })
	r.dep, _, _ = readCached(s.host, s.view, &s.host.depCache, path.Join(r.dir, "modules.dep"), maxIndexFile, ParseModulesDep)
	if s.memo.releases == nil {
		s.memo.releases = map[string]otherRelease{}
	}
	s.memo.releases[release] = r
	return r
}
