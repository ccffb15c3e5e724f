package kmod

import (
	"bytes"
	"strings"
)

// BootEntry is a module the host is configured to load at boot.
type BootEntry struct {
	Name string // as written (not yet resolved through aliases)
	Path string // host path of the file, or /proc/cmdline
	Line int
}

// ParseModulesLoad parses a modules-load.d file as systemd-modules-load does:
// each line, stripped of surrounding whitespace, is one module name; empty
// lines and lines starting with '#' or ';' are skipped.
func ParseModulesLoad(data []byte, path string) []BootEntry {
	var out []BootEntry
	eachLine(data, func(line []byte, num int) {
		l := bytes.TrimSpace(line)
		if len(l) == 0 || l[0] == '#' || l[0] == ';' {
			return
		}
		out = append(out, BootEntry{Name: string(l), Path: path, Line: num})
	})
	return out
}

// ParseEtcModules parses Debian's /etc/modules: the first word of each line
// is a module, the rest its arguments; '#' starts a comment line.
func ParseEtcModules(data []byte, path string) []BootEntry {
	var out []BootEntry
	eachLine(data, func(line []byte, num int) {
		f := strings.Fields(string(line))
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			return
		}
		out = append(out, BootEntry{Name: f[0], Path: path, Line: num})
	})
	return out
}
