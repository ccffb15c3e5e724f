package kmod

import (
	"bytes"
	"fmt"
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
