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
	// Rulesets are ruleset files (or globs) whose rules add the modules
	// they need, with the file's path as the source; one that only a
	// disabled boot service would load adds none (see serviceRulesets).
	// Each is read in its configured format and family, else in what its
	// name implies (RulesetFormat).
	Rulesets []RulesetPath
	// Managers are the firewall managers whose configuration is read when
	// the host uses them (see ManagerNames); nil reads every one.
	Managers []string
}

// WantsManager reports whether the spec reads the firewall manager name.
func (spec RequirementSpec) WantsManager(name string) bool {
	return spec.Managers == nil || slices.Contains(spec.Managers, name)
}

// RulesetRead is one ruleset file as read for the requirements.
type RulesetRead struct {
	Ruleset
	Exists bool
	Err    error
}

// Provenance is one module a source requires and where it asks for it.
type Provenance struct {
	Name   string // as written, not yet resolved through aliases
	Source string // as metrics and check show it: config, flag, a ruleset path…
	Path   string // the host file that asks, "" for names given on the command line
	Line   int    // 0 where the file has no line for it (a ruleset's rule set)
	// order is 1 + the index in the spec of the ruleset asking, 0 for the
	// other sources.
	order int
}

// RequirementSet is what the sources found for one spec.
type RequirementSet struct {
	Found    []Provenance
	Rulesets []RulesetRead
	// Invalid are boot entries that are not module names, skipped.
	Invalid []BootEntry
	// rulesetOrder is each ruleset's index in the spec, to keep them in
	// the order the spec lists them.
	rulesetOrder []int
}

// RequirementSource is one kind of place that makes modules required: a
// configuration, a firewall's rules, a boot list.
type RequirementSource interface {
	// Name says what the source is, for logs and documentation.
	Name() string
	// Files are the host files and directories it reads for spec.
	Files(s *Snapshot, spec RequirementSpec) []string
	// Require adds the modules the source requires to set.
	Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet)
}

// requirementSources are every source, in the order their requirements are
// listed: a module's sources keep this order.
var requirementSources = []RequirementSource{
	configSource{source: "config"},
	configSource{source: "default"},
	configSource{source: "flag"},
	iptablesRulesets,
	nftablesRulesets,
	ipsetSource{},
	ufwSource{},
	fail2banSource{},
	dockerSource{},
	kubeProxySource{},
	firewalldSource{},
	bootListSource{},
	cmdlineSource{},
}

// managerSource is a firewall manager's source (ufw, firewalld, ...): it
// reads the manager's own configuration, and only while the host uses
// that manager.
type managerSource interface {
	RequirementSource
	manager()
}

// ManagerNames are the firewall managers a configuration may name, in
// registry order.
func ManagerNames() []string {
	var out []string
	for _, src := range requirementSources {
		if _, ok := src.(managerSource); ok {
			out = append(out, src.Name())
		}
	}
	return out
}

// Requirements asks every source what it requires, with where it asks.
//
// The answer is kept for the last spec and backend asked: share it, read it
// only.
func (s *Snapshot) Requirements(spec RequirementSpec, backend string) RequirementSet {
	if r := s.memo.reqs; r != nil && r.backend == backend && r.spec.equal(spec) {
		return r.set
	}
	set := s.requirements(spec, backend)
	s.memo.reqs = &requirementsMemo{spec: spec, backend: backend, set: set}
	return set
}

// equal reports whether two specs ask for the same.
func (spec RequirementSpec) equal(o RequirementSpec) bool {
	return spec.IncludeBoot == o.IncludeBoot && slices.Equal(spec.Modules, o.Modules) &&
		slices.Equal(spec.Rulesets, o.Rulesets) &&
		(spec.Managers == nil) == (o.Managers == nil) && slices.Equal(spec.Managers, o.Managers)
}

func (s *Snapshot) requirements(spec RequirementSpec, backend string) RequirementSet {
	// Sized up front: a scrape with hundreds of names would otherwise
	// grow the list several times.
	names := len(spec.Modules)
	if spec.IncludeBoot {
		names += len(s.Boot)
	}
	set := RequirementSet{
		Found:        make([]Provenance, 0, names),
		Rulesets:     make([]RulesetRead, 0, len(spec.Rulesets)),
		rulesetOrder: make([]int, 0, len(spec.Rulesets)),
	}
	for _, src := range requirementSources {
		src.Require(s, spec, backend, &set)
	}
	set.sortRulesets()
	return set
}

// Required resolves the spec into module names (normalized, through
// aliases) and the sources requiring each. Boot entries that are not module
// names are skipped and returned in invalid. backend is the iptables
// backend the rulesets are loaded with (see IptablesBackend).
func (s *Snapshot) Required(spec RequirementSpec, backend string) (required map[string][]string, rulesets []RulesetRead, invalid []BootEntry) {
	set := s.Requirements(spec, backend)
	return s.Resolved(set), set.Rulesets, set.Invalid
}

// Resolved is the set's modules (normalized, through aliases) and the
// sources requiring each.
//
// The answer to the set Requirements last returned is kept: read it only.
func (s *Snapshot) Resolved(set RequirementSet) map[string][]string {
	r := s.memo.reqs
	memoed := r != nil && len(set.Found) == len(r.set.Found) && (len(set.Found) == 0 || &set.Found[0] == &r.set.Found[0])
	if memoed && r.required != nil {
		return r.required
	}
	required := s.resolved(set)
	if memoed {
		r.required = required
	}
	return required
}

func (s *Snapshot) resolved(set RequirementSet) map[string][]string {
	required := make(map[string][]string, len(set.Found))
	// Most modules have one source: they share a one-element slice of it,
	// with no room, so that adding a second copies.
	one := map[string][]string{}
	for _, p := range set.Found {
		for _, m := range s.Resolve(p.Name) {
			switch sources := required[m]; {
			case sources == nil:
				single, ok := one[p.Source]
				if !ok {
					single = []string{p.Source}
					one[p.Source] = single
				}
				required[m] = single[:1:1]
			case !slices.Contains(sources, p.Source):
				required[m] = append(sources, p.Source)
			}
		}
	}
	return required
}

// Origins are the requests in set that resolve to module: where a user
// finds what asks for it.
func (s *Snapshot) Origins(set RequirementSet, module string) []Provenance {
	var out []Provenance
	for _, p := range set.Found {
		if slices.Contains(s.Resolve(p.Name), module) {
			out = append(out, p)
		}
	}
	return out
}

// sortRulesets puts the rulesets, and what they require, back in the
// order the spec lists them: each format's source reads only its own.
func (set *RequirementSet) sortRulesets() {
	if slices.IsSorted(set.rulesetOrder) {
		return // the spec lists each format's files together, in registry order
	}
	byOrder := func(a, b int) int { return a - b }
	idx := make([]int, len(set.Rulesets))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return byOrder(set.rulesetOrder[a], set.rulesetOrder[b]) })
	rulesets := make([]RulesetRead, len(idx))
	for i, j := range idx {
		rulesets[i] = set.Rulesets[j]
	}
	set.Rulesets = rulesets
	// The rulesets' requirements sit together, after the names given in
	// the configuration and before the boot lists.
	first := slices.IndexFunc(set.Found, func(p Provenance) bool { return p.order > 0 })
	if first < 0 {
		return
	}
	end := first
	for end < len(set.Found) && set.Found[end].order > 0 {
		end++
	}
	slices.SortStableFunc(set.Found[first:end], func(a, b Provenance) int { return byOrder(a.order, b.order) })
}
