package kmod

import (
	"fmt"
	"strings"
)

// fail2ban's configuration files are read the way Python's configparser
// (as fail2ban 1.0 sets it up in client/configparserinc.py) reads them:
// [section] headers, "key = value" or "key: value", keys lowercased,
// indented lines continuing a value, '#' and ';' full-line comments and
// ';' inline comments after whitespace.

// Bounds on what one fail2ban configuration may make the source do: a
// hostile or broken file costs bounded time and memory.
const (
	f2bMaxSections = 4096    // sections in one file
	f2bMaxOptions  = 1 << 16 // options in one file
	f2bMaxFiles    = 256     // files read for one jail.conf or action
	f2bMaxDepth    = 10      // configparser's MAX_INTERPOLATION_DEPTH
	f2bMaxValue    = 64 << 10
	f2bMaxJails    = 1024
	f2bMaxActions  = 64 // actions of one jail
)

// f2bValue is an option's value and where it was set.
type f2bValue struct {
	v    string
	file string
	line int
}

// f2bSection is one section's options, in the order first set.
type f2bSection struct {
	name string
	keys []string
	vals map[string]f2bValue
}

func newF2bSection(name string) *f2bSection {
	return &f2bSection{name: name, vals: map[string]f2bValue{}}
}

func (s *f2bSection) set(k string, v f2bValue) {
	if _, ok := s.vals[k]; !ok {
		s.keys = append(s.keys, k)
	}
	s.vals[k] = v
}

// f2bFile is one parsed file: [DEFAULT] and the other sections in order.
type f2bFile struct {
	defaults *f2bSection
	sections []*f2bSection
	byName   map[string]*f2bSection
}

func (f *f2bFile) section(name string) *f2bSection { return f.byName[name] }

// parseF2bIni parses one fail2ban configuration file. Values keep their
// continuation lines joined by "\n"; lines are 1-based. Like configparser,
// an option before any section header is an error; a repeated section or
// option in one file is merged, the later value winning (configparser's
// strict mode refuses the file, which fail2ban then reports).
func parseF2bIni(data []byte, file string) (*f2bFile, error) {
	f := &f2bFile{defaults: newF2bSection("DEFAULT"), byName: map[string]*f2bSection{}}
	var cur *f2bSection
	var optKey string
	var optVal []string
	var optLine int
	indent := -1
	options := 0
	flush := func() {
		if cur != nil && optKey != "" {
			// Trailing empty continuation lines are dropped, as
			// configparser's rstrip of the joined value does.
			v := strings.TrimRight(strings.Join(optVal, "\n"), " \t\n")
			cur.set(optKey, f2bValue{v: v, file: file, line: optLine})
		}
		optKey, optVal = "", nil
	}
	var err error
	eachLine(data, func(raw []byte, num int) {
		if err != nil {
			return
		}
		line := strings.TrimRight(string(raw), "\r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";") {
			return // a full-line comment, also within a value
		}
		value := stripF2bInlineComment(line)
		if strings.TrimSpace(value) == "" {
			if optKey != "" {
				optVal = append(optVal, "")
			}
			return
		}
		lineIndent := len(value) - len(strings.TrimLeft(value, " \t"))
		if optKey != "" && lineIndent > indent {
			optVal = append(optVal, strings.TrimSpace(value))
			return
		}
		flush()
		indent = lineIndent
		v := strings.TrimSpace(value)
		if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
			name := v[1 : len(v)-1]
			if name == "DEFAULT" {
				cur = f.defaults
				return
			}
			if cur = f.section(name); cur == nil {
				if len(f.sections) >= f2bMaxSections {
					err = fmt.Errorf("line %d: more than %d sections", num, f2bMaxSections)
					return
				}
				cur = newF2bSection(name)
				f.sections = append(f.sections, cur)
				f.byName[name] = cur
			}
			return
		}
		if cur == nil {
			err = fmt.Errorf("line %d: option outside a section", num)
			return
		}
		sep := strings.IndexAny(v, "=:")
		if sep <= 0 {
			err = fmt.Errorf("line %d: not an option: %s", num, quote(v))
			return
		}
		if options++; options > f2bMaxOptions {
			err = fmt.Errorf("line %d: more than %d options", num, f2bMaxOptions)
			return
		}
		optKey = strings.ToLower(strings.TrimSpace(v[:sep]))
		optVal = []string{strings.TrimSpace(v[sep+1:])}
		optLine = num
	})
	if err != nil {
		return nil, err
	}
	flush()
	return f, nil
}

// stripF2bInlineComment drops a ';' comment that follows whitespace.
func stripF2bInlineComment(line string) string {
	for i := 1; i < len(line); i++ {
		if line[i] == ';' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// f2bConfig is several files merged as SafeConfigParserWithIncludes.read
// merges them: later files override options, the overridden values are
// kept in "KNOWN/<section>" (for %(known/opt)s), and a conditional section
// "[Init?family=inet6]" becomes options "opt?family=inet6" of [Init].
type f2bConfig struct {
	defaults *f2bSection
	sections map[string]*f2bSection
	order    []string
}

func newF2bConfig() *f2bConfig {
	return &f2bConfig{defaults: newF2bSection("DEFAULT"), sections: map[string]*f2bSection{}}
}

func (c *f2bConfig) merge(f *f2bFile) {
	for _, k := range f.defaults.keys {
		c.defaults.set(k, f.defaults.vals[k])
	}
	for _, s := range f.sections {
		name, cond := s.name, ""
		if i := strings.IndexByte(name, '?'); i > 0 && isF2bWord(name[:i]) {
			name, cond = name[:i], name[i:]
		}
		old := c.sections[name]
		if old == nil {
			old = newF2bSection(name)
			c.sections[name] = old
			c.order = append(c.order, name)
		} else {
			known := c.sections["KNOWN/"+name]
			for _, k := range s.keys {
				if v, ok := old.vals[k+cond]; ok {
					if known == nil {
						known = newF2bSection("KNOWN/" + name)
						c.sections[known.name] = known
					}
					known.set(k+cond, v)
				}
			}
		}
		for _, k := range s.keys {
			old.set(k+cond, s.vals[k])
		}
	}
}

func isF2bWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

// raw is an option's uninterpolated value: vars, then the section, then
// [DEFAULT], as configparser looks it up.
func (c *f2bConfig) raw(section, opt string, vars map[string]string) (f2bValue, bool) {
	if v, ok := vars[opt]; ok {
		return f2bValue{v: v}, true
	}
	if s := c.sections[section]; s != nil {
		if v, ok := s.vals[opt]; ok {
			return v, true
		}
	}
	v, ok := c.defaults.vals[opt]
	return v, ok
}

// get is an option's value with %(name)s references interpolated.
func (c *f2bConfig) get(section, opt string, vars map[string]string) (f2bValue, error) {
	v, ok := c.raw(section, strings.ToLower(opt), vars)
	if !ok {
		return v, fmt.Errorf("no option %q in [%s]", opt, section)
	}
	s, err := c.interpolate(section, v.v, vars, 1)
	if err != nil {
		return v, fmt.Errorf("%s:%d: [%s] %s: %w", v.file, v.line, section, opt, err)
	}
	v.v = s
	return v, nil
}

// getEx is fail2ban's get_ex: "sec/opt" reads another section (or
// "known/opt" this section's overridden value) before the plain name.
func (c *f2bConfig) getEx(section, opt string, vars map[string]string) (f2bValue, error) {
	if sec, o, ok := strings.Cut(opt, "/"); ok && sec != "" && o != "" {
		target := sec
		switch strings.ToLower(sec) {
		case "known":
			target = "KNOWN/" + section
		case "default":
			target = "DEFAULT"
		}
		if target == "DEFAULT" {
			if _, ok := c.defaults.vals[strings.ToLower(o)]; ok {
				return c.get(section, o, nil)
			}
		} else if s := c.sections[target]; s != nil {
			if _, ok := s.vals[strings.ToLower(o)]; ok {
				return c.get(target, o, nil)
			}
		}
	}
	return c.get(section, opt, vars)
}

// interpolate expands %(name)s as configparser's BasicInterpolation does,
// with fail2ban's additions: %(__name__)s is the section, %(sec/opt)s
// another section's option and %(known/opt)s the value this section's
// option had before a later file overrode it. Nesting deeper than
// configparser's limit is an error, which also ends any recursion.
func (c *f2bConfig) interpolate(section, s string, vars map[string]string, depth int) (string, error) {
	if depth > f2bMaxDepth {
		return "", fmt.Errorf("interpolation deeper than %d", f2bMaxDepth)
	}
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "%%"):
			b.WriteByte('%')
			s = s[2:]
		case strings.HasPrefix(s, "%("):
			end := strings.Index(s, ")s")
			if end < 0 {
				return "", fmt.Errorf("bad interpolation %s", quote(s))
			}
			name := strings.ToLower(s[2:end])
			s = s[end+2:]
			v, err := c.reference(section, name, vars)
			if err != nil {
				return "", err
			}
			if strings.Contains(v, "%") {
				if v, err = c.interpolate(section, v, vars, depth+1); err != nil {
					return "", err
				}
			}
			b.WriteString(v)
		default:
			return "", fmt.Errorf("'%%' must be followed by '%%' or '(' in %s", quote(s))
		}
		if b.Len() > f2bMaxValue {
			return "", fmt.Errorf("value longer than %d bytes", f2bMaxValue)
		}
	}
	return b.String(), nil
}

// reference is the raw value %(name)s stands for in section.
func (c *f2bConfig) reference(section, name string, vars map[string]string) (string, error) {
	if name == "__name__" {
		if _, ok := c.raw(section, name, vars); !ok {
			return section, nil
		}
	}
	if v, ok := c.raw(section, name, vars); ok {
		return v.v, nil
	}
	if sec, opt, ok := strings.Cut(name, "/"); ok {
		switch sec {
		case "known":
			if s := c.sections["KNOWN/"+section]; s != nil {
				if v, ok := s.vals[opt]; ok {
					return v.v, nil
				}
			}
		case "default":
		default:
			if s := c.sections[sec]; s != nil {
				if v, ok := s.vals[opt]; ok {
					return v.v, nil
				}
				return "", fmt.Errorf("bad option reference %q", name)
			}
			// Section names are case-sensitive; look for it as written.
			for n, s := range c.sections {
				if strings.EqualFold(n, sec) {
					if v, ok := s.vals[opt]; ok {
						return v.v, nil
					}
				}
			}
		}
		if v, ok := c.defaults.vals[opt]; ok {
			return v.v, nil
		}
	}
	return "", fmt.Errorf("bad option reference %q", name)
}

// f2bBool is fail2ban's _as_bool.
func f2bBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "on", "true", "yes":
		return true
	}
	return false
}
