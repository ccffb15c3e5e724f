package kmod

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Alias maps a pattern (fnmatch syntax, as in modules.alias and modprobe.d
// "alias" lines) to a module.
type Alias struct {
	Pattern string
	Module  string
}

// ParseModulesAlias parses modules.alias ("alias PATTERN MODULE"). Patterns
// are normalized as kmod normalizes them when it builds its index, so a
// lookup of "nf-conntrack-2" and "nf_conntrack_2" match alike.
func ParseModulesAlias(data []byte) ([]Alias, error) {
	var out []Alias
	var firstErr error
	// Tens of thousands of aliases name a few thousand modules: share the
	// module strings.
	modules := map[string]string{}
	intern := func(s string) string {
		if v, ok := modules[s]; ok {
			return v
		}
		modules[s] = s
		return s
	}
	eachLine(data, func(line []byte, num int) {
		f := bytes.Fields(line)
		if len(f) == 0 || f[0][0] == '#' {
			return
		}
		if len(f) < 3 || string(f[0]) != "alias" {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: want \"alias PATTERN MODULE\"", num)
			}
			return
		}
		out = append(out, Alias{Pattern: Normalize(string(f[1])), Module: intern(Normalize(string(f[2])))})
	})
	return out, firstErr
}

// matchAliases returns the module of every alias whose pattern matches name,
// in file order. Like kmod, it keeps repeats: a module two patterns match is
// listed twice.
func matchAliases(aliases []Alias, name string) []string {
	var out []string
	for _, a := range aliases {
		if fnmatch(a.Pattern, name) {
			out = append(out, a.Module)
		}
	}
	return out
}

// fnmatch implements fnmatch(3) with flags 0, as kmod calls it: '*', '?',
// bracket expressions with ranges and '!' or '^' negation, and backslash
// escapes; '/' and leading dots are ordinary. It backtracks only to the last
// '*', so it runs in O(len(pattern)*len(name)) on any input.
func fnmatch(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starN = p, n
				p++
				continue
			case '?':
				p++
				n++
				continue
			case '[':
				if ok, width, valid := matchBracket(pattern[p:], name[n]); valid {
					if ok {
						p += width
						n++
						continue
					}
				} else if name[n] == '[' {
					// An unterminated '[' is an ordinary character.
					p++
					n++
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if pattern[p+1] == name[n] {
						p += 2
						n++
						continue
					}
				} else if name[n] == '\\' {
					p++
					n++
					continue
				}
			default:
				if c == name[n] {
					p++
					n++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		p, n = starP+1, starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchBracket matches c against the bracket expression at the start of pat.
// valid is false when the expression has no closing ']'.
func matchBracket(pat string, c byte) (matched bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(pat) && (pat[i] == '!' || pat[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(pat) {
		if pat[i] == ']' && !first {
			return matched != negate, i + 1, true
		}
		first = false
		lo := pat[i]
		if lo == '\\' && i+1 < len(pat) {
			i++
			lo = pat[i]
		}
		i++
		hi := lo
		if i+1 < len(pat) && pat[i] == '-' && pat[i+1] != ']' {
			hi = pat[i+1]
			if hi == '\\' && i+2 < len(pat) {
				i++
				hi = pat[i+1]
			}
			i += 2
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
	return false, 0, false
}

// AliasIndex answers "which aliases match this name" without trying every
// pattern: patterns without wildcards are looked up exactly, the others by
// their literal prefix (the part before the first wildcard), so a lookup
// costs one map probe per byte of the name plus the few patterns that
// share its prefix, not the tens of thousands of a distribution kernel.
type AliasIndex struct {
	All      []Alias
	exact    map[string][]int
	byPrefix map[string][]int
	noPrefix []int
}

// NewAliasIndex indexes aliases, keeping their order.
func NewAliasIndex(aliases []Alias) *AliasIndex {
	x := &AliasIndex{All: aliases, exact: map[string][]int{}, byPrefix: map[string][]int{}}
	for i, a := range aliases {
		cut := strings.IndexAny(a.Pattern, "*?[\\")
		switch {
		case cut < 0:
			x.exact[a.Pattern] = append(x.exact[a.Pattern], i)
		case cut == 0:
			x.noPrefix = append(x.noPrefix, i)
		default:
			x.byPrefix[a.Pattern[:cut]] = append(x.byPrefix[a.Pattern[:cut]], i)
		}
	}
	return x
}

// match is matchAliases over the index: every matching alias's module, in
// file order, repeats kept.
func (x *AliasIndex) match(name string) []string {
	if x == nil {
		return nil
	}
	candidates := append([]int{}, x.exact[name]...)
	candidates = append(candidates, x.noPrefix...)
	for l := 1; l <= len(name); l++ {
		candidates = append(candidates, x.byPrefix[name[:l]]...)
	}
	slices.Sort(candidates)
	var out []string
	for _, i := range candidates {
		if a := x.All[i]; fnmatch(a.Pattern, name) {
			out = append(out, a.Module)
		}
	}
	return out
}

// parseAliasIndex parses modules.alias into an index; a partly malformed
// file still yields the lines that parsed.
func parseAliasIndex(data []byte) (*AliasIndex, error) {
	aliases, err := ParseModulesAlias(data)
	return NewAliasIndex(aliases), err
}
