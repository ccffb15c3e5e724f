package kmod

import "strings"

// shellVar is one assignment of a shell variables file (/etc/default/ufw,
// /etc/ufw/ufw.conf): its value once quotes are removed, and the line it
// starts on.
type shellVar struct {
	Value string
	Line  int
}

// maxShellVars bounds the variables kept from one file: ufw's files set a
// dozen, and a file of millions of assignments must not cost a map entry
// each.
const maxShellVars = 256

// parseShellVars reads the KEY=value assignments of a file that a shell
// sources (ufw-init runs `. /etc/default/ufw`), the last one of a key
// winning as it does in the shell. Values may be quoted with ' or ", and a
// quote may span lines (IPT_MODULES="a\n b"). Nothing is expanded: ufw's
// files hold literal values. Lines that are not assignments (commands,
// functions) are skipped: ufw reads only its own keys.
func parseShellVars(data []byte) (map[string]shellVar, error) {
	vars := map[string]shellVar{}
	s := string(data)
	line := 1
	for len(s) > 0 {
		end := strings.IndexByte(s, '\n')
		if end < 0 {
			end = len(s)
		}
		text := strings.TrimLeft(s[:end], " \t")
		start := line
		if rest, ok := strings.CutPrefix(text, "export "); ok {
			text = strings.TrimLeft(rest, " \t")
		}
		eq := strings.IndexByte(text, '=')
		if eq <= 0 || !isShellName(text[:eq]) {
			s, line = advanceLine(s, end, line)
			continue
		}
		key := text[:eq]
		// The value starts after '=' and may run over the next lines
		// while a quote is open.
		off := len(s[:end]) - len(text) + eq + 1
		value, used, lines := shellWord(s[off:])
		if _, ok := vars[key]; ok || len(vars) < maxShellVars {
			vars[key] = shellVar{Value: value, Line: start}
		}
		line += lines
		s = s[off+used:]
		// Skip what follows the word on its last line (a comment, a
		// second command).
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s, line = s[i+1:], line+1
		} else {
			s = ""
		}
	}
	return vars, nil
}

// advanceLine moves past the line ending at end.
func advanceLine(s string, end, line int) (string, int) {
	if end >= len(s) {
		return "", line
	}
	return s[end+1:], line + 1
}

// shellWord reads one shell word from the start of s: unquoted text up to
// a blank, a ';' or a newline, '…' literally, "…" with \ escaping " \ $ `
// and a newline. It returns the word, the bytes read and the newlines
// inside quotes. An unterminated quote runs to the end, as far as the
// value is concerned (the shell would refuse the file; ufw's own files
// never have one).
func shellWord(s string) (word string, used, lines int) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '\r':
			return b.String(), i, lines
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			part := s[i+1 : i+1+j]
			lines += strings.Count(part, "\n")
			b.WriteString(part)
			i += j + 2
		case c == '"':
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					if s[i+1] == '\n' {
						lines++ // a line continuation: nothing kept
					} else {
						b.WriteByte(s[i+1])
					}
					i += 2
					continue
				}
				if s[i] == '\n' {
					lines++
				}
				b.WriteByte(s[i])
				i++
			}
			i++ // the closing quote
		case c == '\\' && i+1 < len(s):
			if s[i+1] == '\n' {
				lines++
			} else {
				b.WriteByte(s[i+1])
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	if i > len(s) {
		i = len(s)
	}
	return b.String(), i, lines
}

// isShellName reports whether s is a shell variable name.
func isShellName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
