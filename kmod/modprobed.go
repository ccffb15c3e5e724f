package kmod

import (
	"bytes"
	"strings"
)

// Directive is one command of a modprobe.d file, as kmod's parser reads it.
type Directive struct {
	Command string // alias, blacklist, options, install, remove, softdep
	// Name is the module (or, for alias, the alias pattern) after kmod's
	// normalization.
	Name string
	// Value is what follows: the module of an alias, or the rest of the
	// line, verbatim, for options, install, remove and softdep.
	Value string
	Path  string // host path of the file
	Line  int    // line the command starts on
}

// BadLine is a line kmod ignores with an error message.
type BadLine struct {
	Path    string
	Line    int
	Command string
}

// ParseModprobeConf parses one modprobe.d file exactly as kmod does
// (libkmod-config.c): a backslash joins the next line and is itself dropped
// before any other character; '#' starts a comment only as a line's first
// byte; words are split on spaces and tabs; a NUL ends the line; names are
// normalized ('-' to '_' outside brackets); words after the ones a command
// takes are ignored; unknown commands are bad lines.
func ParseModprobeConf(data []byte, path string) ([]Directive, []BadLine) {
	var dirs []Directive
	var bad []BadLine
	eachWrappedLine(data, func(line []byte, num int) {
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		if len(line) == 0 || line[0] == '#' {
			return
		}
		cmd, rest := nextToken(line)
		if cmd == nil {
			return
		}
		d := Directive{Command: string(cmd), Path: path, Line: num}
		ok := false
		switch d.Command {
		case "alias":
			var alias, mod []byte
			alias, rest = nextToken(rest)
			mod, _ = nextToken(rest)
			if alias != nil && mod != nil {
				d.Name, d.Value, ok = Normalize(string(alias)), Normalize(string(mod)), true
			}
		case "blacklist":
			var mod []byte
			mod, _ = nextToken(rest)
			if mod != nil {
				d.Name, ok = Normalize(string(mod)), true
			}
		case "options", "install", "remove", "softdep":
			var mod []byte
			mod, rest = nextToken(rest)
			// The rest starts after the one byte that ended the name, as
			// strtok_r(NULL, "\0") returns it; an empty rest is an error.
			if mod != nil && len(rest) > 0 {
				d.Name, d.Value, ok = Normalize(string(mod)), string(rest), true
				if d.Command == "options" {
					// kmod stores options with tabs turned into spaces.
					d.Value = strings.ReplaceAll(d.Value, "\t", " ")
				}
			}
		case "include", "config":
			// Deprecated commands kmod reports and skips.
			bad = append(bad, BadLine{Path: path, Line: num, Command: d.Command})
			return
		}
		if !ok {
			bad = append(bad, BadLine{Path: path, Line: num, Command: d.Command})
			return
		}
		dirs = append(dirs, d)
	})
	return dirs, bad
}

// nextToken is strtok_r(s, " \t"): it skips leading separators, returns the
// word, and the remainder after the single separator that ended it.
func nextToken(s []byte) (tok, rest []byte) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i == len(s) {
		return nil, nil
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' {
		j++
	}
	if j == len(s) {
		return s[i:j], nil
	}
	return s[i:j], s[j+1:]
}

// eachWrappedLine yields logical lines as kmod's getline_wrapped builds them:
// "\\\n" joins lines; a backslash before any other byte is dropped and that
// byte kept; at end of file a lone trailing backslash leaves a 0xff byte
// (getc's EOF stored in a char). num is the line the logical line starts on.
func eachWrappedLine(data []byte, fn func(line []byte, num int)) {
	var buf []byte
	num := 1
	start := 1
	inLine := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inLine {
			inLine = true
			start = num
			buf = buf[:0]
		}
		switch c {
		case '\n':
			num++
			fn(buf, start)
			inLine = false
			continue
		case '\\':
			if i+1 < len(data) {
				i++
				if data[i] == '\n' {
					num++
					continue
				}
				c = data[i]
			} else {
				c = 0xff
			}
		}
		buf = append(buf, c)
	}
	if inLine {
		fn(buf, start)
	}
}

// SoftDeps returns the pre: and post: modules of a softdep directive's
// value, splitting on isspace() as kmod does. Words before the first
// "pre:" or "post:" are ignored.
func SoftDeps(value string) (pre, post []string) {
	var cur *[]string
	for _, w := range strings.FieldsFunc(value, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }) {
		switch w {
		case "pre:":
			cur = &pre
		case "post:":
			cur = &post
		default:
			if cur != nil {
				*cur = append(*cur, w)
			}
		}
	}
	return pre, post
}
