package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// How nft (1.0.6, Debian 12) finds included files, and the bounds on
// following them.
const (
	// nftIncludePath is nft's default include search path (its
	// DEFAULT_INCLUDE_PATH, sysconfdir): a relative include that does
	// not start with ./ or ../ is looked up there; nftables.service gives
	// no -I.
	nftIncludePath = "/etc"
	// nftWorkDir is the working directory of nftables.service (systemd's
	// default), against which nft opens ./ and ../ includes.
	nftWorkDir = "/"
	// nftMaxIncludeDepth is nft's MAX_INCLUDE_DEPTH: the files open at
	// once, the top file included.
	nftMaxIncludeDepth = 16
	// nftMaxIncludes bounds the files one ruleset includes in all, and
	// nftMaxIncludeBytes their total size, against a hostile fan-out;
	// an included file is bounded as a firewall manager's file
	// (maxSourceFile).
	nftMaxIncludes     = 256
	nftMaxIncludeBytes = 64 << 20
	// nftMaxDefine bounds one variable's value and nftMaxExpanded all
	// the text substitution adds to a ruleset, so that variables made of
	// variables cannot grow without end.
	nftMaxDefine   = 64 << 10
	nftMaxExpanded = 16 << 20
	// maxGlobMatches bounds the names a glob walks through.
	maxGlobMatches = 4096
)

// nftLexLine is one line of an nftables file, comments and the contents of
// quoted strings dropped; include is the first quoted string of an
// include statement.
type nftLexLine struct {
	num     int
	text    string
	include string
	err     string
}

// nftLexed is a lexed file, as cached while the file is unchanged.
type nftLexed struct {
	lines []nftLexLine
	size  int
}

// lexNftables splits an nftables file into lexed lines, keeping only the
// lines that say something.
func lexNftables(data []byte) nftLexed {
	out := nftLexed{size: len(data)}
	eachLine(data, func(raw []byte, num int) {
		text, quoted, err := lexNftLine(string(raw))
		switch {
		case err != nil:
			out.lines = append(out.lines, nftLexLine{num: num, err: err.Error()})
		case strings.TrimSpace(text) != "":
			l := nftLexLine{num: num, text: text}
			if w := splitNftWords(text); len(w) > 0 && w[0] == "include" && len(quoted) > 0 {
				l.include = quoted[0]
			}
			out.lines = append(out.lines, l)
		}
	})
	return out
}

// lexNftLine drops a '#' comment and the contents of quoted strings, which
// may hold any word, returning the strings apart. The one string a
// statement needs, a ct helper's `type "ftp"`, stays as the word "ftp
// (its opening quote marks it as no keyword). nft takes no variable
// there ("type $H": syntax error, expecting quoted string, in the booted
// guests' nft 1.0.6), so a define's string names no helper.
func lexNftLine(line string) (string, []string, error) {
	var b strings.Builder
	var quoted []string
	start := -1
	keep := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"' && start < 0:
			start = i + 1
			keep = endsWithWord(b.String(), "type")
			b.WriteByte(' ')
		case c == '"':
			if len(quoted) < 2 { // only an include's file name is used
				quoted = append(quoted, line[start:i])
			}
			if keep && validHelperName(line[start:i]) {
				b.WriteString(`"` + line[start:i])
			}
			start = -1
			b.WriteByte(' ')
		case start >= 0:
		case c == '#':
			return b.String(), quoted, nil
		default:
			b.WriteByte(c)
		}
	}
	if start >= 0 {
		return "", nil, fmt.Errorf("unterminated string")
	}
	return b.String(), quoted, nil
}

// endsWithWord reports whether text ends with the word w, blanks after it
// aside.
func endsWithWord(text, w string) bool {
	text = strings.TrimRight(text, " \t")
	rest, ok := strings.CutSuffix(text, w)
	return ok && (rest == "" || strings.ContainsAny(rest[len(rest)-1:], " \t;{"))
}

// nftIncluder reads the files a ruleset includes.
type nftIncluder struct {
	// load reads a host file; exists is false when there is none.
	load func(hostPath string) (f nftLexed, exists bool, err error)
	// glob lists the regular files a pattern matches, sorted.
	glob func(pattern string) ([]string, error)
	// stack are the files being read, the top file first.
	stack []string
	// files are the included files read (or that could not be), each
	// once, in the order nft reads them.
	files []string
	count int // files included, with repeats
	bytes int
	full  bool // the bytes are spent
	// err is the first included file that could not be read.
	err error
}

// nftExpansion is what a ruleset and the files it includes need.
type nftExpansion struct {
	Needs   []Need
	At      []nftAt // where each of Needs is first asked for
	Invalid []InvalidLine
	Files   []string // the included files, in the order nft reads them
	Err     error    // an included file that could not be read
}

// expandNftables scans the top file of a ruleset (already lexed) and the
// files it includes, as nft -f reads them.
func expandNftables(top string, f nftLexed, inc *nftIncluder) nftExpansion {
	p := newNftParser(top)
	inc.stack = []string{top}
	inc.bytes = f.size
	p.feed(top, f.lines, 0, inc)
	p.finish()
	return nftExpansion{Needs: p.needs, At: p.at, Invalid: p.invalid, Files: inc.files, Err: inc.err}
}

// feed scans the lines of one file. topLine is the top file's line whose
// include led here, 0 in the top file itself. inc nil: includes are not
// followed.
func (p *nftParser) feed(file string, lines []nftLexLine, topLine int, inc *nftIncluder) {
	for _, l := range lines {
		p.file, p.line, p.topLine = file, l.num, topLine
		if l.err != "" {
			p.bad(l.err)
			continue
		}
		if d := p.define; d != nil {
			// The value of a multi-line define runs to its closing brace.
			d.depth += strings.Count(l.text, "{") - strings.Count(l.text, "}")
			if d.value.Len() < nftMaxDefine {
				d.value.WriteString(" " + l.text)
			}
			if d.depth <= 0 {
				p.define = nil
				p.bind(d.name, d.value.String())
			}
			continue
		}
		words := splitNftWords(l.text)
		if len(words) == 0 {
			p.statement(l.text) // a lone brace or separator
			continue
		}
		switch words[0] {
		case "include":
			if inc == nil {
				continue
			}
			next := topLine
			if next == 0 {
				next = l.num
			}
			p.include(l.include, next, inc)
		case "define", "redefine":
			// A define's value is an expression, not a statement: it
			// needs nothing until used through $NAME.
			p.defineLine(l.text)
		case "undefine":
			if len(words) > 1 {
				delete(p.defines, words[1])
			}
		default:
			p.statement(p.substitute(l.text))
		}
	}
}

// defineLine reads "define NAME = value" (or redefine), the value running
// to the end of the line or of the statement, or over several lines while
// a brace is open.
func (p *nftParser) defineLine(text string) {
	_, rest, ok := strings.Cut(text, "=")
	head := splitNftWords(strings.TrimSuffix(text, rest))
	name := ""
	if len(head) > 1 {
		name = strings.TrimSuffix(head[1], "=")
	}
	if !ok || name == "" {
		p.bad("define without NAME = value")
		return
	}
	depth := 0
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '{':
			depth++
		case '}':
			depth--
		case ';':
			if depth <= 0 {
				rest = rest[:i] // a statement after the define is rare; skipped
				i = len(rest)
			}
		}
	}
	if depth > 0 {
		p.define = &nftDefine{name: name, depth: depth}
		p.define.value.WriteString(rest)
		return
	}
	p.bind(name, rest)
}

// bind sets a variable, its value expanded at once as nft does (a later
// redefine of a variable it uses does not change it).
func (p *nftParser) bind(name, value string) {
	value = strings.TrimSpace(p.substitute(value))
	if len(value) > nftMaxDefine {
		p.bad(fmt.Sprintf("define %s: value longer than %d bytes", name, nftMaxDefine))
		value = ""
	}
	p.defines[name] = value
}

// isNftIdent reports a byte of an nft identifier (its scanner's string).
func isNftIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-'
}

// substitute replaces each $NAME by its value. A name that is not defined
// stays as written: "$x" is no keyword, so it needs nothing.
func (p *nftParser) substitute(text string) string {
	if !strings.Contains(text, "$") || p.expanded > nftMaxExpanded {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		if text[i] != '$' {
			b.WriteByte(text[i])
			continue
		}
		j := i + 1
		for j < len(text) && isNftIdent(text[j]) {
			j++
		}
		// The scanner reads "$lo-$hi" or "$net/24" greedily; take the
		// longest defined name, as a user means.
		name := text[i+1 : j]
		for name != "" {
			if _, ok := p.defines[name]; ok {
				break
			}
			k := strings.LastIndexAny(name, "./-")
			if k < 0 {
				name = ""
				break
			}
			name = name[:k]
		}
		if name == "" {
			b.WriteByte('$')
			continue
		}
		v := p.defines[name]
		p.expanded += len(v)
		if p.expanded > nftMaxExpanded {
			p.bad(fmt.Sprintf("variables expand to more than %d bytes; not substituted further", nftMaxExpanded))
			return text
		}
		b.WriteString(" " + v + " ")
		i += len(name)
	}
	return b.String()
}

// hasGlobMeta reports whether a path is a pattern (glob(3)'s wildcards).
func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// nftIncludePattern is the host path or pattern nft opens for an include.
func nftIncludePattern(name string) string {
	switch {
	case strings.HasPrefix(name, "/"):
		return name
	case strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../"):
		return path.Join(nftWorkDir, name)
	}
	return path.Join(nftIncludePath, name)
}

// include reads the files an include statement names: a plain name must
// exist, a pattern may match nothing; the matches are read in sorted order.
func (p *nftParser) include(name string, topLine int, inc *nftIncluder) {
	if name == "" {
		p.bad("include without a quoted file name")
		return
	}
	pattern := nftIncludePattern(name)
	files := []string{pattern}
	if hasGlobMeta(pattern) {
		var err error
		if files, err = inc.glob(pattern); errors.Is(err, path.ErrBadPattern) {
			// glob(3) takes such a pattern literally; it names no file.
			p.bad(fmt.Sprintf("include %q: not a valid pattern", name))
			return
		} else if err != nil {
			if inc.err == nil {
				inc.err = fmt.Errorf("%s:%d: include %q: %w", p.file, p.line, name, err)
			}
			return
		}
	}
	file, line, top := p.file, p.line, p.topLine
	for _, f := range files {
		switch {
		case slices.Contains(inc.stack, f):
			p.bad(fmt.Sprintf("include %q: %s includes itself", name, f))
			continue
		case len(inc.stack) >= nftMaxIncludeDepth:
			p.bad(fmt.Sprintf("include %q: nested too deeply, max %d levels", name, nftMaxIncludeDepth))
			return
		case inc.full:
			return // reported once
		case inc.count >= nftMaxIncludes:
			p.bad(fmt.Sprintf("include %q: more than %d included files; not read", name, nftMaxIncludes))
			return
		}
		inc.count++
		lexed, exists, err := inc.load(f)
		if !slices.Contains(inc.files, f) && (exists || err != nil) {
			inc.files = append(inc.files, f)
		}
		switch {
		case err != nil:
			if inc.err == nil {
				inc.err = fmt.Errorf("%s:%d: include %s: %w", file, line, f, err)
			}
			continue
		case !exists:
			p.bad(fmt.Sprintf("include %q: file not found: %s", name, f))
			continue
		case inc.bytes+lexed.size > nftMaxIncludeBytes:
			inc.full = true // nothing more is loaded, nor kept in the cache
			p.bad(fmt.Sprintf("include %q: included files larger than %d bytes in all; not read", name, nftMaxIncludeBytes))
			return
		}
		inc.bytes += lexed.size
		inc.stack = append(inc.stack, f)
		p.feed(f, lexed.lines, topLine, inc)
		inc.stack = inc.stack[:len(inc.stack)-1]
		p.file, p.line, p.topLine = file, line, top
	}
}

// nftLex reads and lexes an nftables file of the host, reusing the lexed
// lines while the file is unchanged. A missing file is exists=false
// without error; as readCached, a file that cannot be read is not said to
// exist.
func (v *View) nftLex(hostPath string, limit int64) (f nftLexed, exists bool, err error) {
	fi, err := v.files.Stat(hostPath)
	if err != nil {
		if NotApplicable(err) {
			return f, false, nil
		}
		return f, false, err
	}
	root := v.host.root
	got, err := v.host.sourceCache.Get("nftables-lex\x00"+hostPath, fi, func() (any, fs.FileInfo, error) {
		data, fi, err := root.ReadFile(hostPath, limit)
		if err != nil {
			return nil, nil, err
		}
		return lexNftables(data), fi, nil
	})
	if err != nil {
		return f, false, err
	}
	f, _ = got.(nftLexed)
	return f, true, nil
}

// expandNftRuleset reads an nftables ruleset of the host with the files it
// includes. exists and err are the top file's; an included file that
// cannot be read is the expansion's Err.
func (v *View) expandNftRuleset(hostPath string) (exp nftExpansion, exists bool, err error) {
	f, exists, err := v.nftLex(hostPath, maxRulesetFile)
	if err != nil || !exists {
		return exp, exists, err
	}
	type globRead struct {
		files []string
		err   error
	}
	globs := map[string]globRead{}
	inc := &nftIncluder{
		load: func(p string) (nftLexed, bool, error) {
			f, exists, err := v.nftLex(p, maxSourceFile)
			// nft reports a file it cannot open; a file that exists but
			// cannot be read is an error, not a missing file.
			return f, exists || err != nil, err
		},
		glob: func(pattern string) ([]string, error) {
			// Once per pattern: a file of many includes lists a
			// directory once.
			if r, ok := globs[pattern]; ok {
				return r.files, r.err
			}
			files, err := v.glob(pattern)
			globs[pattern] = globRead{files, err}
			return files, err
		},
	}
	return expandNftables(hostPath, f, inc), true, nil
}

// glob lists the host's files (or links to them), not directories, that a
// pattern matches, sorted as glob(3) in the C locale. A wildcard does not match a
// leading dot. A directory that does not exist matches nothing; one that
// cannot be read is an error, so that a file the exporter cannot see is not
// taken for an absent one.
func (v *View) glob(pattern string) ([]string, error) {
	if !strings.HasPrefix(pattern, "/") {
		return nil, fmt.Errorf("glob %s: not an absolute path", pattern)
	}
	matches := []string{"/"}
	parts := strings.Split(strings.Trim(path.Clean(pattern), "/"), "/")
	for _, part := range parts {
		if _, err := path.Match(part, ""); err != nil {
			return nil, fmt.Errorf("glob %s: %w", pattern, err)
		}
		var next []string
		for _, dir := range matches {
			if !hasGlobMeta(part) {
				next = append(next, path.Join(dir, part))
				continue
			}
			entries, err := v.files.ReadDir(dir)
			if err != nil {
				if NotApplicable(err) {
					continue
				}
				return nil, fmt.Errorf("glob %s: %w", pattern, err)
			}
			for _, e := range entries {
				name := e.Name()
				if name[0] == '.' && part[0] != '.' {
					continue
				}
				if ok, _ := path.Match(part, name); ok {
					next = append(next, path.Join(dir, name))
				}
			}
			if len(next) > maxGlobMatches {
				return nil, fmt.Errorf("glob %s: %w", pattern, errGlobTooMany)
			}
		}
		matches = next
	}
	var files []string
	for _, m := range matches {
		// As glob(3) with GLOB_MARK, directories are left out; a name
		// that cannot be followed (a dangling link, no permission) is
		// kept, for reading it to say why.
		if fi, err := v.files.Stat(m); err != nil || fi.Mode().IsRegular() {
			files = append(files, m)
		}
	}
	slices.Sort(files)
	return files, nil
}

var errGlobTooMany = fmt.Errorf("more than %d matches", maxGlobMatches)
