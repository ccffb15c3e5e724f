package kmod

// rulesetSource is the firewall ruleset files of one format among the
// spec's Rulesets: each adds the modules its rules need, with the file's
// path as the source.
type rulesetSource struct {
	name   string
	format string // FormatIptables or FormatNftables, as RulesetFormat tells
	// inUse reports whether the rules of the file at a host path are
	// applied at boot; nil: always.
	inUse func(s *Snapshot, hostPath string) bool
}

func (r rulesetSource) Name() string { return r.name }

func (r rulesetSource) enabled(s *Snapshot, hostPath string) bool {
	return r.inUse == nil || r.inUse(s, hostPath)
}

func (r rulesetSource) Files(_ *Snapshot, spec RequirementSpec) []string {
	var out []string
	for _, p := range spec.Rulesets {
		if format, _ := RulesetFormat(p); format == r.format {
			out = append(out, p)
		}
	}
	return out
}

func (r rulesetSource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	for i, p := range spec.Rulesets {
		if format, _ := RulesetFormat(p); format != r.format || (r.inUse != nil && !r.inUse(s, p)) {
			continue
		}
		rs, exists, err := s.view.ReadRuleset(p)
		rs.Path = p // also when it could not be read: the path is what to report
		set.Rulesets = append(set.Rulesets, RulesetRead{Ruleset: rs, Exists: exists, Err: err})
		set.rulesetOrder = append(set.rulesetOrder, i)
		if err != nil || !exists {
			continue
		}
		for _, m := range s.RulesetModules(rs, backend) {
			set.Found = append(set.Found, Provenance{Name: m, Source: p, Path: p, order: i + 1})
		}
	}
}

// maxRulesetFile bounds one ruleset file.
const maxRulesetFile = 64 << 20

// readRuleset reads a ruleset file (see View.ReadRuleset).
func (v *View) readRuleset(hostPath string) (r Ruleset, exists bool, err error) {
	return readCached(v, &v.host.rulesetCache, hostPath, maxRulesetFile, func(b []byte) (Ruleset, error) {
		return ParseRuleset(b, hostPath), nil
	})
}
