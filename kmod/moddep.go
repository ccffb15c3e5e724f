package kmod

import (
	"bytes"
	"fmt"
)

// DepEntry is one module of modules.dep: its file, relative to the release
// directory unless absolute, and every module it needs, in the order modprobe
// loads them (depmod writes the full closure, deepest last).
type DepEntry struct {
	Path string
	Deps []string
}

// ModulesDep maps normalized module names to their modules.dep entry.
type ModulesDep map[string]DepEntry

// ParseModulesDep parses the text modules.dep written by depmod:
// "kernel/net/netfilter/xt_set.ko.xz: kernel/net/netfilter/ipset/ip_set.ko.xz".
// depmod lists a module once; if a hand-edited file repeats one, the first
// line wins, as kmod's index would keep it.
func ParseModulesDep(data []byte) (ModulesDep, error) {
	dep := make(ModulesDep)
	var firstErr error
	eachLine(data, func(line []byte, num int) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			return
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: no \"path:\" prefix", num)
			}
			return
		}
		p := string(bytes.TrimSpace(line[:colon]))
		name := nameFromPath(p)
		if _, seen := dep[name]; seen || name == "" {
			return
		}
		e := DepEntry{Path: p}
		for _, d := range bytes.Fields(line[colon+1:]) {
			e.Deps = append(e.Deps, nameFromPath(string(d)))
		}
		dep[name] = e
	})
	return dep, firstErr
}
