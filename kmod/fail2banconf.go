package kmod

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// f2bDir is where Debian's fail2ban keeps its configuration.
const f2bDir = "/etc/fail2ban"

// f2bLoader reads fail2ban's files for one evaluation: every file it
// reads, in order, for Files, and a bound on how many.
type f2bLoader struct {
	s    *Snapshot
	read []string
	// errs are the files that exist but could not be read or understood:
	// the modules of the jails or actions they define are then unknown.
	errs    []f2bFileErr
	actions map[string]*f2bConfig // by action name: jails share them
}

// f2bFileErr is a fail2ban file that could not be read or understood, and
// why (the error names the file and, where it has one, the line).
type f2bFileErr struct {
	path string
	err  error
}

func (e f2bFileErr) Error() string { return e.err.Error() }
func (e f2bFileErr) Unwrap() error { return e.err }

// fail records a file's error, the first one of each file.
func (l *f2bLoader) fail(p string, err error) {
	if !slices.ContainsFunc(l.errs, func(e f2bFileErr) bool { return e.path == p }) {
		l.errs = append(l.errs, f2bFileErr{p, err})
	}
}

// file reads one host file; nil when it is missing, unreadable or past the
// bound on files.
func (l *f2bLoader) file(p string) *f2bFile {
	if len(l.read) >= f2bMaxFiles && !slices.Contains(l.read, p) {
		return nil
	}
	f, exists, err := readSourceFile(l.s, "fail2ban", p, func(b []byte) (*f2bFile, error) {
		return parseF2bIni(b, p)
	})
	if !exists {
		return nil
	}
	if !slices.Contains(l.read, p) {
		l.read = append(l.read, p)
	}
	if err != nil {
		l.fail(p, err)
		return nil
	}
	return f
}

func (l *f2bLoader) exists(p string) bool {
	fi, err := l.s.view.files.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// configFiles are the files ConfigReaderUnshared.read reads for base
// ("/etc/fail2ban/jail"): base.conf, base.d/*.conf, base.local,
// base.d/*.local, those that exist.
func (l *f2bLoader) configFiles(base string) []string {
	names, _ := listSourceDir(l.s, base+".d")
	var out []string
	add := func(p string) {
		if l.exists(p) {
			out = append(out, p)
		}
	}
	add(base + ".conf")
	for _, n := range names {
		if strings.HasSuffix(n, ".conf") && !strings.HasPrefix(n, ".") {
			add(base + ".d/" + n)
		}
	}
	add(base + ".local")
	for _, n := range names {
		if strings.HasSuffix(n, ".local") && !strings.HasPrefix(n, ".") {
			add(base + ".d/" + n)
		}
	}
	return out
}

// includes is _getIncludes: each file with its .local beside it, each
// preceded by its [INCLUDES] before= files and followed by its after=
// files, recursively; seen stops a file including itself.
func (l *f2bLoader) includes(files []string, seen []string) []string {
	var expanded []string
	for _, f := range files {
		expanded = append(expanded, f)
		local := strings.TrimSuffix(f, path.Ext(f)) + ".local"
		if !slices.Contains(files, local) && l.exists(local) {
			expanded = append(expanded, local)
		}
	}
	var out []string
	for _, f := range expanded {
		if len(out) >= f2bMaxFiles {
			break
		}
		parsed := l.file(f)
		if parsed == nil {
			continue
		}
		var before, after []string
		if inc := parsed.section("INCLUDES"); inc != nil {
			for _, which := range []string{"before", "after"} {
				v, ok := inc.vals[which]
				if !ok {
					continue
				}
				for _, r := range strings.Split(v.v, "\n") {
					if r = strings.TrimSpace(r); r == "" {
						continue
					}
					if !path.IsAbs(r) {
						r = path.Join(path.Dir(f), r)
					}
					if slices.Contains(seen, r) || len(seen) > f2bMaxDepth {
						continue
					}
					got := l.includes([]string{r}, append(slices.Clip(seen), f))
					if which == "before" {
						before = append(before, got...)
					} else {
						after = append(after, got...)
					}
				}
			}
		}
		out = append(out, before...)
		out = append(out, f)
		out = append(out, after...)
	}
	return out
}

// load reads and merges the configuration fail2ban reads for base.
func (l *f2bLoader) load(base string) (*f2bConfig, bool) {
	files := l.configFiles(base)
	if len(files) == 0 {
		return nil, false
	}
	c := newF2bConfig()
	for _, f := range l.includes(files, nil) {
		if parsed := l.file(f); parsed != nil {
			c.merge(parsed)
		}
	}
	return c, true
}

// f2bCommands are an action's commands for one IP family, and where they
// are defined.
type f2bCommands struct {
	jail, action string
	family       string // inet4 or inet6
	option       string // actionstart or actionban
	text         string
	file         string
	line         int
}

// f2bEscapedTags are tags fail2ban never substitutes from the action's
// properties (CommandAction._escapedTags); timeout and bantime are left
// for ban time as well (ActionReader.convert).
var f2bEscapedTags = []string{"matches", "ipmatches", "ipjailmatches"}

// f2bBanTags are the ban's own tags, with an example address of each
// family: they change no module.
var f2bBanTags = map[string]map[string]string{
	"inet4": {"ip": "192.0.2.1", "family": "inet4", "bantime": "600", "br": "\n", "sp": " "},
	"inet6": {"ip": "2001:db8::1", "family": "inet6", "bantime": "600", "br": "\n", "sp": " "},
}

// f2bActionOptions are the commands that run before or at the first ban,
// when a missing module makes the ban fail.
var f2bActionOptions = []string{"actionstart", "actionban"}

// jailCommands lists the actionstart and actionban commands of every
// enabled jail, for both IP families, as fail2ban 1.0 would run them.
func (l *f2bLoader) jailCommands() []f2bCommands {
	jails, ok := l.load(f2bDir + "/jail")
	if !ok {
		return nil
	}
	// JailReader.getOptions adds these to [DEFAULT].
	jails.defaults.set("fail2ban_version", f2bValue{v: "1.0.2"})
	jails.defaults.set("fail2ban_confpath", f2bValue{v: f2bDir})
	var out []f2bCommands
	count := 0
	for _, jail := range jails.order {
		if jail == "INCLUDES" || strings.HasPrefix(jail, "KNOWN/") {
			continue
		}
		if count++; count > f2bMaxJails {
			break
		}
		enabled, err := jails.get(jail, "enabled", nil)
		if err != nil || !f2bBool(enabled.v) {
			continue
		}
		action, err := jails.get(jail, "action", nil)
		if err != nil {
			// An action that does not interpolate (the error names
			// its file and line), or none at all: jail.conf sets it.
			l.fail(cmp.Or(action.file, f2bDir+"/jail.conf"), fmt.Errorf("jail %s: %w", jail, err))
			continue
		}
		acts := splitF2bActions(action.v)
		if len(acts) > f2bMaxActions {
			acts = acts[:f2bMaxActions]
		}
		for _, act := range acts {
			name, opts, err := extractF2bOptions(act)
			if err != nil {
				l.fail(action.file, fmt.Errorf("%s:%d: jail %s: %w", action.file, action.line, jail, err))
				continue
			}
			if strings.HasSuffix(name, ".py") || strings.Contains(name, "..") {
				continue // a Python action runs no command we can read
			}
			cmds, err := l.actionCommands(jail, name, opts)
			var fe f2bFileErr
			switch {
			case errors.Is(err, errNoF2bAction):
				// fail2ban refuses to start the jail: the jail's
				// action line names a file that is not there.
				l.fail(action.file, fmt.Errorf("%s:%d: jail %s: %w", action.file, action.line, jail, err))
			case errors.As(err, &fe):
				l.fail(cmp.Or(fe.path, l.actionFile(name)), fe.err)
			case err != nil:
				l.fail(l.actionFile(name), err)
			}
			out = append(out, cmds...)
		}
	}
	return out
}

// errNoF2bAction is a jail's action with no file in action.d.
var errNoF2bAction = errors.New("no action file in " + f2bDir + "/action.d for action")

// actionFile is the first file fail2ban reads for an action (its .conf,
// else a .local): where an error of the merged action is reported when
// the error has no file of its own.
func (l *f2bLoader) actionFile(name string) string {
	if files := l.configFiles(f2bDir + "/action.d/" + name); len(files) > 0 {
		return files[0]
	}
	return f2bDir + "/action.d/" + name + ".conf"
}

// actionCommands reads action.d/<name> and substitutes its tags as
// ActionReader and CommandAction do.
func (l *f2bLoader) actionCommands(jail, name string, initOpts map[string]string) ([]f2bCommands, error) {
	cfg, cached := l.actions[name]
	if !cached {
		cfg, _ = l.load(f2bDir + "/action.d/" + name)
		if l.actions == nil {
			l.actions = map[string]*f2bConfig{}
		}
		l.actions[name] = cfg
	}
	if cfg == nil {
		return nil, fmt.Errorf("%w %s", errNoF2bAction, name)
	}
	if _, ok := initOpts["name"]; !ok {
		initOpts["name"] = jail
	}
	if _, ok := initOpts["actname"]; !ok {
		initOpts["actname"] = name
	}
	// configparser lowercases the names of vars.
	pOpts := map[string]string{}
	for k, v := range initOpts {
		pOpts[strings.ToLower(k)] = v
	}
	combined := map[string]string{}
	origin := map[string]f2bValue{}
	for _, opt := range f2bActionOptions {
		v, err := cfg.get("Definition", opt, pOpts)
		if err != nil {
			continue
		}
		combined[opt] = v.v
		origin[opt] = v
	}
	if init := cfg.sections["Init"]; init != nil {
		for _, opt := range init.keys {
			v, err := cfg.get("Init", opt, nil)
			if err != nil {
				return nil, f2bFileErr{v.file, fmt.Errorf("action %s of jail %s: %w", name, jail, err)}
			}
			if !strings.HasPrefix(opt, "known/") {
				initOpts["known/"+opt] = v.v
			}
			if _, ok := initOpts[opt]; !ok {
				initOpts[opt] = v.v
			}
		}
	}
	maps.Copy(combined, initOpts)
	ignore := map[string]bool{"timeout": true, "bantime": true}
	for _, t := range f2bEscapedTags {
		ignore[t] = true
	}
	for k := range combined {
		if base, _, ok := strings.Cut(k, "?"); ok && isF2bWord(base) {
			ignore[base] = true
		}
	}
	addrepl := func(tag string) (string, bool) {
		v, err := cfg.getEx("Definition", tag, pOpts)
		return v.v, err == nil
	}
	props, err := f2bSubstTags(combined, "", ignore, addrepl)
	if err != nil {
		return nil, fmt.Errorf("action %s of jail %s: %w", name, jail, err)
	}
	var out []f2bCommands
	for _, family := range []string{"inet4", "inet6"} {
		runIgnore := map[string]bool{}
		for _, t := range f2bEscapedTags {
			runIgnore[t] = true
		}
		run, err := f2bSubstTags(props, "family="+family, runIgnore, nil)
		if err != nil {
			return out, fmt.Errorf("action %s of jail %s: %w", name, jail, err)
		}
		for _, opt := range f2bActionOptions {
			text, ok := run[opt]
			if !ok {
				continue
			}
			text = f2bReplaceTags(text, run, "family="+family, f2bBanTags[family])
			out = append(out, f2bCommands{jail: jail, action: name, family: family, option: opt,
				text: text, file: origin[opt].file, line: origin[opt].line})
		}
	}
	return out, nil
}

// f2bMaxTagReplace is fail2ban's MAX_TAG_REPLACE_COUNT.
const f2bMaxTagReplace = 25

// findF2bTag finds the next "<tag>" (no space, '<' or '>' inside) from i.
func findF2bTag(s string, i int) (start, end int, tag string, ok bool) {
	for ; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != ' ' && s[j] != '<' && s[j] != '>' {
			j++
		}
		if j < len(s) && s[j] == '>' && j > i+1 {
			return i, j + 1, s[i+1 : j], true
		}
	}
	return 0, 0, "", false
}

// f2bSubstTags is fail2ban's substituteRecursiveTags: each tag's value
// gets the other tags substituted until nothing changes; a tag that
// refers to itself, or is replaced too often, is an error.
func f2bSubstTags(in map[string]string, cond string, ignore map[string]bool, addrepl func(string) (string, bool)) (map[string]string, error) {
	tags := maps.Clone(in)
	keys := slices.Sorted(maps.Keys(tags))
	done := map[string]bool{}
	counts := map[string]map[string]int{}
	for round := 0; ; round++ {
		if round > f2bMaxTagReplace*len(keys)+1 {
			return nil, fmt.Errorf("tags not resolved after %d rounds", round)
		}
		repeat := false
		for _, tag := range keys {
			if ignore[tag] || done[tag] {
				continue
			}
			value := tags[tag]
			orig := value
			rplc := counts[tag]
			if rplc == nil {
				rplc = map[string]int{}
			}
			start, end, rtag, ok := findF2bTag(value, 0)
			for ok {
				if ignore[rtag] {
					start, end, rtag, ok = findF2bTag(value, end)
					continue
				}
				n, seen := rplc[rtag]
				if !seen {
					n = 1
				}
				if rtag == tag || n > f2bMaxTagReplace {
					return nil, fmt.Errorf("tag %s refers to itself through %s", tag, rtag)
				}
				repl, found := "", false
				if cond != "" {
					repl, found = tags[rtag+"?"+cond]
				}
				if !found {
					repl, found = tags[rtag]
				}
				if !found && addrepl != nil {
					repl, found = addrepl(rtag)
				}
				if !found {
					start, end, rtag, ok = findF2bTag(value, end)
					continue
				}
				value = strings.ReplaceAll(value, "<"+rtag+">", repl)
				if len(value) > f2bMaxValue {
					return nil, fmt.Errorf("tag %s longer than %d bytes", tag, f2bMaxValue)
				}
				rplc[rtag]++
				start, end, rtag, ok = findF2bTag(value, start)
			}
			if orig != value {
				if _, _, _, more := findF2bTag(value, 0); more {
					counts[tag] = rplc
					repeat = true
				}
				tags[tag] = value
			}
			if !strings.Contains(value, "<") {
				done[tag] = true
			}
		}
		if !repeat {
			return tags, nil
		}
	}
}

// f2bReplaceTags is CommandAction.replaceTag's last step and the ban's
// dynamic tags: each remaining <tag> once, the family's value first.
func f2bReplaceTags(s string, tags map[string]string, cond string, ban map[string]string) string {
	var b strings.Builder
	i := 0
	for {
		start, end, tag, ok := findF2bTag(s, i)
		if !ok {
			b.WriteString(s[i:])
			return b.String()
		}
		b.WriteString(s[i:start])
		if v, ok := tags[tag+"?"+cond]; ok {
			b.WriteString(v)
		} else if v, ok := tags[tag]; ok {
			b.WriteString(v)
		} else if v, ok := ban[tag]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[start:end])
		}
		i = end
	}
}

// splitF2bActions splits a jail's action option into actions, as
// splitWithOptions does: "name[opt=..., ...]" separated by whitespace,
// the brackets allowed to span lines.
func splitF2bActions(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && isF2bSpace(s[i]) {
			i++
		}
		start := i
		for i < len(s) && !isF2bSpace(s[i]) && s[i] != '[' {
			i++
		}
		for {
			j := i
			for j < len(s) && isF2bSpace(s[j]) {
				j++
			}
			if j >= len(s) || s[j] != '[' {
				break
			}
			i = skipF2bBrackets(s, j)
		}
		if i > start {
			out = append(out, s[start:i])
		}
	}
	return out
}

func isF2bSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipF2bBrackets returns the index after the ']' closing the '[' at i,
// quotes inside kept whole; the end of s if it is not closed.
func skipF2bBrackets(s string, i int) int {
	var q byte
	for i++; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == ']':
			return i + 1
		}
	}
	return len(s)
}

// extractF2bOptions is extractOptions: "name[k=v, k2="v, 2"][k3='v']".
func extractF2bOptions(act string) (string, map[string]string, error) {
	name, rest, _ := strings.Cut(act, "[")
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, fmt.Errorf("action without a name: %s", quote(act))
	}
	opts := map[string]string{}
	if rest == "" {
		return name, opts, nil
	}
	rest = "[" + rest
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			break
		}
		if rest[0] != '[' {
			return "", nil, fmt.Errorf("unexpected %s after the options", quote(rest))
		}
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, " \t\r\n,")
			if rest == "" {
				return "", nil, fmt.Errorf("unclosed [ in %s", quote(act))
			}
			if rest[0] == ']' {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 {
				return "", nil, fmt.Errorf("expected option at %s", quote(rest))
			}
			key := strings.TrimSpace(rest[:eq])
			rest = rest[eq+1:]
			var val string
			if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
				end := strings.IndexByte(rest[1:], rest[0])
				if end < 0 {
					return "", nil, fmt.Errorf("unclosed quote in %s", quote(act))
				}
				val, rest = rest[1:1+end], rest[2+end:]
			} else {
				end := strings.IndexAny(rest, ",]")
				if end < 0 {
					end = len(rest)
				}
				val, rest = rest[:end], rest[end:]
			}
			opts[key] = strings.TrimSpace(val)
		}
	}
	return name, opts, nil
}
