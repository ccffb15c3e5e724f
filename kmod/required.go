package kmod

import "slices"

// Requirement is one name a user asked for, and where the request came from
// (config, flag, default).
type Requirement struct {
	Name   string
	Source string
}

// RequirementSpec says which modules a host requires.
type RequirementSpec struct {
	Modules []Requirement
	// IncludeBoot adds every module the host loads at boot.
	IncludeBoot bool
	// Rulesets are ruleset files whose rules add the modules they need,
	// with the file's path as the source; one that only a disabled boot
	// service would load adds none (see serviceRulesets).
	Rulesets []string
}

// RulesetRead is one ruleset file as read for the requirements.
type RulesetRead struct {
	Ruleset
	Exists bool
	Err    error
}

// Required resolves the spec into module names (normalized, through
// aliases) and the sources requiring each. Boot entries that are not module
// names are skipped and returned in invalid. backend is the iptables
// backend the rulesets are loaded with (see IptablesBackend).
func (s *Snapshot) Required(spec RequirementSpec, backend string) (required map[string][]string, rulesets []RulesetRead, invalid []BootEntry) {
	required = map[string][]string{}
	add := func(name, source string) {
		for _, m := range s.Resolve(name) {
			if !slices.Contains(required[m], source) {
				required[m] = append(required[m], source)
			}
		}
	}
	for _, r := range spec.Modules {
		add(r.Name, r.Source)
	}
	for _, p := range spec.Rulesets {
		if !s.rulesetInUse(p) {
			continue
		}
		r, exists, err := s.view.ReadRuleset(p)
		rulesets = append(rulesets, RulesetRead{Ruleset: r, Exists: exists, Err: err})
		if err != nil || !exists {
			continue
		}
		for _, m := range s.RulesetModules(r, backend) {
			add(m, p)
		}
	}
	if spec.IncludeBoot {
		for _, b := range s.Boot {
			if ValidateName(b.Name) != nil {
				invalid = append(invalid, b)
				continue
			}
			source := "modules-load.d"
			if b.Path == "/proc/cmdline" {
				source = "cmdline"
			}
			add(b.Name, source)
		}
	}
	return required, rulesets, invalid
}
