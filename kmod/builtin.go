package kmod

import (
	"bytes"
)

// ParseModulesBuiltin parses modules.builtin: one path per built-in module,
// e.g. "kernel/net/netfilter/x_tables.ko".
func ParseModulesBuiltin(data []byte) map[string]bool {
	set := make(map[string]bool)
	eachLine(data, func(line []byte, _ int) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			return
		}
		if name := nameFromPath(string(line)); name != "" {
			set[name] = true
		}
	})
	return set
}

func parseModulesBuiltin(data []byte) (map[string]bool, error) { return ParseModulesBuiltin(data), nil }

// ParseBuiltinModinfo parses modules.builtin.modinfo, the NUL-separated
// "module.key=value" strings the kernel build keeps for built-in modules,
// and returns each built-in module's aliases: depmod turns these into the
// index that lets "modprobe fs-ext4" find a built-in ext4.
func ParseBuiltinModinfo(data []byte) []Alias {
	var aliases []Alias
	for _, rec := range bytes.Split(data, []byte{0}) {
		dot := bytes.IndexByte(rec, '.')
		if dot <= 0 {
			continue
		}
		key, value, ok := bytes.Cut(rec[dot+1:], []byte{'='})
		if !ok || string(key) != "alias" || len(value) == 0 {
			continue
		}
		aliases = append(aliases, Alias{Pattern: Normalize(string(value)), Module: Normalize(string(rec[:dot]))})
	}
	return aliases
}
