package kmod

import (
	"bytes"
	"fmt"
	"strconv"
)

// LoadedModule is one line of /proc/modules.
type LoadedModule struct {
	Name     string
	Size     uint64
	RefCount int64 // -1 when the kernel prints "-" (unloading not allowed)
	UsedBy   []string
	State    string // Live, Loading or Unloading
}

// ParseProcModules parses /proc/modules. Lines that do not have the kernel's
// shape are reported with their line number; the well-formed ones are
// still returned so one bad line does not hide every module.
func ParseProcModules(data []byte) (map[string]LoadedModule, error) {
	mods := make(map[string]LoadedModule)
	var firstErr error
	eachLine(data, func(line []byte, num int) {
		if len(bytes.TrimSpace(line)) == 0 {
			return
		}
		m, err := parseProcModulesLine(line)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", num, err)
			}
			return
		}
		mods[m.Name] = m
	})
	return mods, firstErr
}

func parseProcModulesLine(line []byte) (LoadedModule, error) {
	// name size refcount usedby state address [taints]
	f := bytes.Fields(line)
	if len(f) < 5 {
		return LoadedModule{}, fmt.Errorf("%d fields, want at least 5", len(f))
	}
	name := string(f[0])
	if err := ValidateName(name); err != nil {
		return LoadedModule{}, err
	}
	size, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return LoadedModule{}, fmt.Errorf("size of %s: %w", name, err)
	}
	ref := int64(-1)
	if string(f[2]) != "-" {
		ref, err = strconv.ParseInt(string(f[2]), 10, 64)
		if err != nil {
			return LoadedModule{}, fmt.Errorf("refcount of %s: %w", name, err)
		}
	}
	var usedBy []string
	if string(f[3]) != "-" {
		for _, u := range bytes.Split(f[3], []byte{','}) {
			if len(u) > 0 {
				usedBy = append(usedBy, string(u))
			}
		}
	}
	state := string(f[4])
	switch state {
	case "Live", "Loading", "Unloading":
	default:
		return LoadedModule{}, fmt.Errorf("state of %s is %q, want Live, Loading or Unloading", name, state)
	}
	return LoadedModule{Name: Normalize(name), Size: size, RefCount: ref, UsedBy: usedBy, State: state}, nil
}
