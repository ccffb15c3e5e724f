package kmod

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// rulesetSource is the firewall ruleset files of one format among the
// spec's Rulesets: each adds the modules its rules need, with the file's
// path as the source.
type rulesetSource struct {
	name   string
	format string // FormatIptables or FormatNftables: the files it reads
	// inUse reports whether the rules of the file at a host path are
	// applied at boot; nil: always.
	inUse func(s *Snapshot, hostPath string) bool
}

func (r rulesetSource) Name() string { return r.name }

func (r rulesetSource) enabled(s *Snapshot, hostPath string) bool {
	return r.inUse == nil || r.inUse(s, hostPath)
}

// rulesetFile is one ruleset file of the spec: a path as listed, or one
// match of a glob, in the format and family it is read in.
type rulesetFile struct {
	RulesetPath
	order int // the index in the spec of the entry that lists it
	// err is a glob that could not be expanded, path being the pattern.
	err error
}

// RulesetFiles are the ruleset files the spec's entries name on this host
// now, each in the format and family it is read in: a path as it is, a
// glob (e.g. /etc/nftables.d/*.nft) each file it matches, sorted; a glob
// matching nothing names none, and one that cannot be expanded stays as
// written (reading it reports why). A file listed twice is read as first
// listed.
func (v *View) RulesetFiles(entries []RulesetPath) []RulesetPath {
	var out []RulesetPath
	for _, f := range v.rulesetFiles(entries) {
		if !slices.ContainsFunc(out, func(o RulesetPath) bool { return o.Path == f.Path }) {
			out = append(out, f.RulesetPath)
		}
	}
	return out
}

func (v *View) rulesetFiles(entries []RulesetPath) []rulesetFile {
	out := make([]rulesetFile, 0, len(entries))
	for i, e := range entries {
		if !hasGlobMeta(e.Path) {
			out = append(out, rulesetFile{RulesetPath: e.at(e.Path), order: i})
			continue
		}
		matches, err := v.globRulesets(e.Path)
		if err != nil {
			out = append(out, rulesetFile{RulesetPath: e.at(e.Path), order: i, err: err})
			continue
		}
		for _, m := range matches {
			out = append(out, rulesetFile{RulesetPath: e.at(m), order: i})
		}
	}
	return out
}

// globRulesets expands a glob of the spec.
func (v *View) globRulesets(pattern string) ([]string, error) {
	matches, err := v.glob(pattern)
	if err == nil && len(matches) > maxRulesetMatches {
		err = fmt.Errorf("glob %s: %d files, at most %d read", pattern, len(matches), maxRulesetMatches)
	}
	return matches, err
}

// maxRulesetMatches bounds the files one glob of the spec names, each
// a label value.
const maxRulesetMatches = 100

// globDir is the directory before a pattern's first wildcard, what a user
// looks at when the glob cannot be expanded.
func globDir(pattern string) string {
	if i := strings.IndexAny(pattern, "*?["); i >= 0 {
		pattern = pattern[:i]
	}
	return path.Dir(pattern + "x")
}

func (r rulesetSource) Files(s *Snapshot, spec RequirementSpec) []string {
	var out []string
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, f := range s.view.rulesetFiles(spec.Rulesets) {
		if f.Format != r.format {
			continue
		}
		if f.err != nil {
			add(globDir(f.Path))
			continue
		}
		add(f.Path)
		// nft reads the included files only when it loads the ruleset.
		if r.format == FormatNftables && r.enabled(s, f.Path) {
			exp, _, _ := s.view.expandNftRuleset(f.Path)
			for _, inc := range exp.Files {
				add(inc)
			}
		}
	}
	return out
}

func (r rulesetSource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	for _, f := range s.view.rulesetFiles(spec.Rulesets) {
		p := f.Path
		if f.Format != r.format || !r.enabled(s, p) {
			continue
		}
		rs, exists, err := s.view.ReadRuleset(f.RulesetPath)
		rs.Path = p // also when it could not be read: the path is what to report
		set.Rulesets = append(set.Rulesets, RulesetRead{Ruleset: rs, Exists: exists, Err: err})
		set.rulesetOrder = append(set.rulesetOrder, f.order)
		if !exists {
			continue
		}
		if r.format == FormatNftables {
			// What can be read of a ruleset whose included file cannot
			// still requires its modules, each where it is asked for.
			r.requireNftables(s, p, f.order, backend, set)
			continue
		}
		if err != nil {
			continue
		}
		for _, m := range s.RulesetModules(rs, backend) {
			set.Found = append(set.Found, Provenance{Name: m, Source: p, Path: p, order: f.order + 1})
		}
	}
}

// requireNftables adds the modules of an nftables ruleset and the files it
// includes, each with the file and line that first asks for it.
func (r rulesetSource) requireNftables(s *Snapshot, p string, order int, backend string, set *RequirementSet) {
	exp, exists, err := s.view.expandNftRuleset(p)
	if !exists || err != nil {
		return
	}
	var seen []string
	for i, n := range exp.Needs {
		for _, m := range s.RulesetModules(Ruleset{Path: p, Format: FormatNftables, Needs: []Need{n}}, backend) {
			if slices.Contains(seen, m) {
				continue
			}
			seen = append(seen, m)
			set.Found = append(set.Found, Provenance{Name: m, Source: p, Path: exp.At[i].Path, Line: exp.At[i].Line, order: order + 1})
		}
	}
}

// maxRulesetFile bounds one ruleset file.
const maxRulesetFile = 64 << 20

// readRuleset reads a ruleset file (see View.ReadRuleset) in f's format
// and family, resolved by RulesetPath.at; an nftables one with the files
// it includes, whose lines count as the include's.
func (v *View) readRuleset(f RulesetPath) (r Ruleset, exists bool, err error) {
	hostPath := f.Path
	if hasGlobMeta(hostPath) {
		// A glob of the configuration that could not be expanded.
		if _, err := v.globRulesets(hostPath); err != nil {
			return Ruleset{Path: hostPath}, false, err
		}
	}
	if f.Format == FormatNftables {
		exp, exists, err := v.expandNftRuleset(hostPath)
		if err != nil || !exists {
			return Ruleset{}, exists, err
		}
		return Ruleset{Path: hostPath, Format: FormatNftables, Needs: exp.Needs, Invalid: exp.Invalid}, true, exp.Err
	}
	// The cache holds the parse, which the family does not change: a
	// file configured twice with two families is read once.
	r, exists, err = readCached(v, &v.host.rulesetCache, hostPath, maxRulesetFile, func(b []byte) (Ruleset, error) {
		needs, invalid := ParseIptablesSave(b)
		return Ruleset{Needs: needs, Invalid: invalid}, nil
	})
	r.Path, r.Format, r.Family = hostPath, FormatIptables, f.Family
	return r, exists, err
}
