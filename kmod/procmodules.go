package kmod

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// loadedCache keeps the last parse of /proc/modules with the bytes it came
// from. The file is read every scrape; only an identical read reuses the
// parse (a module loaded, unloaded or used differently changes the bytes),
// which spares a scrape the map of every loaded module.
type loadedCache struct {
	mu   sync.Mutex
	data []byte
	mods map[string]LoadedModule
	err  error
	gen  uint64 // counts the parses: the same gen, the same bytes
}

// parse returns ParseProcModules(data), reusing the last result when data
// is the same, and which parse it is. The map is shared: callers must not
// modify it.
func (c *loadedCache) parse(data []byte) (map[string]LoadedModule, uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mods != nil && bytes.Equal(c.data, data) {
		return c.mods, c.gen, c.err
	}
	c.mods, c.err = ParseProcModules(data)
	c.data = append(c.data[:0], data...)
	c.gen++
	return c.mods, c.gen, c.err
}

// LoadedModule is one line of /proc/modules. The "used by" column is not
// kept: nothing needs it, and it was most of the parse's allocations.
type LoadedModule struct {
	Name     string
	Size     uint64
	RefCount int64  // -1 when the kernel prints "-" (unloading not allowed)
	State    string // Live, Loading or Unloading
}

// ParseProcModules parses /proc/modules. Lines that do not have the kernel's
// shape are reported with their line number; the well-formed ones are
// still returned so one bad line does not hide every module.
func ParseProcModules(data []byte) (map[string]LoadedModule, error) {
	// One string for the whole file: every field is a substring of it.
	text := string(data)
	mods := make(map[string]LoadedModule, strings.Count(text, "\n")+1)
	var firstErr error
	for num := 1; text != ""; num++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseProcModulesLine(line)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", num, err)
			}
			continue
		}
		mods[m.Name] = m
	}
	return mods, firstErr
}

func parseProcModulesLine(line string) (LoadedModule, error) {
	// name size refcount usedby state address [taints]
	var f [5]string
	n := 0
	for field := range strings.FieldsSeq(line) {
		if n == len(f) {
			break
		}
		f[n] = field
		n++
	}
	if n < 5 {
		return LoadedModule{}, fmt.Errorf("%d fields, want at least 5", n)
	}
	name := f[0]
	if err := ValidateName(name); err != nil {
		return LoadedModule{}, err
	}
	size, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return LoadedModule{}, fmt.Errorf("size of %s: %w", name, err)
	}
	ref := int64(-1)
	if f[2] != "-" {
		ref, err = strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return LoadedModule{}, fmt.Errorf("refcount of %s: %w", name, err)
		}
	}
	state := f[4]
	switch state {
	case "Live", "Loading", "Unloading":
	default:
		return LoadedModule{}, fmt.Errorf("state of %s is %q, want Live, Loading or Unloading", name, state)
	}
	return LoadedModule{Name: Normalize(name), Size: size, RefCount: ref, State: state}, nil
}
