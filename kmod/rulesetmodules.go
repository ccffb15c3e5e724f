package kmod

import (
	"fmt"
	"slices"
)

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
		case "alias":
			// A tree without the alias has no such module (nft_objref
			// is part of nf_tables since 6.2): nothing to require.
			if m := s.Resolve(n.Name); s.knownModule(m) {
				add(m...)
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
			if n.Kind == "match" && isProtocolNumber(name) {
				// -p 6 --dport 22: iptables loads the match of the
				// protocol's name, "tcp".
				if name = s.protocolName(name); name == "" {
					continue
				}
			}
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
