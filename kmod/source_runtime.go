package kmod

import (
	"path"
	"strings"
	"sync"
)

// Docker and kube-proxy write no rule file: they create their rules at run
// time. Their sources write down, as iptables-save (or nft) text, the rule
// set the daemon creates, and require what that text needs, as a ruleset
// file with the same rules would.

// runtimeRulesets caches the parse of the rule sets the run-time managers
// create: a handful of texts, parsed once per process.
var runtimeRulesets sync.Map // format, family and text -> Ruleset (without Path)

// runtimeRuleset parses the rules a daemon creates, in format and family.
func runtimeRuleset(format, family, text string) Ruleset {
	// The family is part of the key: one text (chains without addresses)
	// can be either family's, and the family picks the table modules.
	key := format + "\x00" + family + "\x00" + text
	if r, ok := runtimeRulesets.Load(key); ok {
		return r.(Ruleset)
	}
	r := Ruleset{Format: format, Family: family}
	if format == FormatNftables {
		r.Needs, r.Invalid = ParseNftables([]byte(text))
	} else {
		r.Needs, r.Invalid = ParseIptablesSave([]byte(text))
	}
	runtimeRulesets.Store(key, r)
	return r
}

// enabledUnitLink is the link `systemctl enable` made for a unit, the
// first in the .wants directories' order, "" when the unit is not enabled.
func (s *Snapshot) enabledUnitLink(unit string) string {
	entries, err := s.view.files.ReadDir(systemdUnitDir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".wants") {
			continue
		}
		p := path.Join(systemdUnitDir, e.Name(), unit)
		if _, err := s.view.files.Lstat(p); err == nil {
			return p
		}
	}
	return ""
}

// sourceFileError records a manager's file that exists but could not be
// read or parsed: the modules the manager requires are then unknown, and
// check reports the file as unreadable, as it does a ruleset.
func sourceFileError(spec RequirementSpec, set *RequirementSet, hostPath string, err error) {
	set.Rulesets = append(set.Rulesets, RulesetRead{Ruleset: Ruleset{Path: hostPath}, Exists: true, Err: err})
	// After every ruleset of the spec: sortRulesets keeps the order.
	set.rulesetOrder = append(set.rulesetOrder, len(spec.Rulesets))
}

// requireModules appends the modules of a source, asked for by hostPath.
func requireModules(set *RequirementSet, source, hostPath string, modules ...string) {
	for _, m := range modules {
		set.Found = append(set.Found, Provenance{Name: m, Source: source, Path: hostPath})
	}
}
