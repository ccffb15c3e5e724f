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

// ModulesDep is modules.dep by normalized module name. Like AliasIndex it is
// kept for the life of the process, so it is stored as two strings and
// integer slices (a few objects for the garbage collector to scan, not
// three per module).
type ModulesDep struct {
	names   string   // every name seen (modules and dependencies), back to back
	nameEnd []uint32 // name id i ends at nameEnd[i]
	byHash  map[uint64]uint32
	next    []uint32 // the next name id with the same hash, or noID

	paths   string
	entries []depEntry // by name id; path end 0 for names without an entry
	deps    []uint32   // the dependency name ids of every entry, back to back
	count   int
}

type depEntry struct {
	pathStart, pathEnd uint32
	depStart, depEnd   uint32
}

const noID = ^uint32(0)

// ParseModulesDep parses the text modules.dep written by depmod:
// "kernel/net/netfilter/xt_set.ko.xz: kernel/net/netfilter/ipset/ip_set.ko.xz".
// depmod lists a module once; if a hand-edited file repeats one, the first
// line wins, as kmod's index would keep it.
func ParseModulesDep(data []byte) (*ModulesDep, error) {
	d := &ModulesDep{byHash: map[uint64]uint32{}}
	var names, paths bytes.Buffer
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
		p := bytes.TrimSpace(line[:colon])
		name := nameFromPath(string(p))
		if name == "" {
			return
		}
		id := d.intern(&names, name)
		if d.entries[id].pathEnd != 0 {
			return
		}
		e := depEntry{depStart: uint32(len(d.deps))}
		for _, dep := range bytes.Fields(line[colon+1:]) {
			d.deps = append(d.deps, d.intern(&names, nameFromPath(string(dep))))
		}
		e.depEnd = uint32(len(d.deps))
		e.pathStart = uint32(paths.Len())
		paths.Write(p)
		e.pathEnd = uint32(paths.Len())
		d.entries[id] = e
		d.count++
	})
	d.names, d.paths = names.String(), paths.String()
	return d, firstErr
}

// intern returns the id of name, adding it while parsing.
func (d *ModulesDep) intern(names *bytes.Buffer, name string) uint32 {
	h := hashString(name)
	first, ok := d.byHash[h]
	if ok {
		for id := first; id != noID; id = d.next[id] {
			if d.nameOf(names.Bytes(), id) == name {
				return id
			}
		}
	}
	id := uint32(len(d.nameEnd))
	names.WriteString(name)
	d.nameEnd = append(d.nameEnd, uint32(names.Len()))
	d.entries = append(d.entries, depEntry{})
	if ok {
		d.next = append(d.next, first)
	} else {
		d.next = append(d.next, noID)
	}
	d.byHash[h] = id
	return id
}

func (d *ModulesDep) nameOf(names []byte, id uint32) string {
	start := uint32(0)
	if id > 0 {
		start = d.nameEnd[id-1]
	}
	return string(names[start:d.nameEnd[id]])
}

func (d *ModulesDep) name(id uint32) string {
	start := uint32(0)
	if id > 0 {
		start = d.nameEnd[id-1]
	}
	return d.names[start:d.nameEnd[id]]
}

// lookup is the id of a module with an entry.
func (d *ModulesDep) lookup(name string) (uint32, bool) {
	if d == nil {
		return 0, false
	}
	first, ok := d.byHash[hashString(name)]
	if !ok {
		return 0, false
	}
	for id := first; id != noID; id = d.next[id] {
		if d.name(id) == name {
			return id, d.entries[id].pathEnd != 0
		}
	}
	return 0, false
}

// Has reports whether modules.dep lists the module.
func (d *ModulesDep) Has(name string) bool {
	_, ok := d.lookup(name)
	return ok
}

// Path is the module's file as modules.dep gives it.
func (d *ModulesDep) Path(name string) (string, bool) {
	id, ok := d.lookup(name)
	if !ok {
		return "", false
	}
	return d.paths[d.entries[id].pathStart:d.entries[id].pathEnd], true
}

// Entry is the module's line of modules.dep.
func (d *ModulesDep) Entry(name string) (DepEntry, bool) {
	id, ok := d.lookup(name)
	if !ok {
		return DepEntry{}, false
	}
	e := d.entries[id]
	out := DepEntry{Path: d.paths[e.pathStart:e.pathEnd]}
	if e.depEnd > e.depStart {
		out.Deps = make([]string, 0, e.depEnd-e.depStart)
		for _, dep := range d.deps[e.depStart:e.depEnd] {
			out.Deps = append(out.Deps, d.name(dep))
		}
	}
	return out, true
}

// Len is the number of modules listed.
func (d *ModulesDep) Len() int {
	if d == nil {
		return 0
	}
	return d.count
}

// Names are the modules listed.
func (d *ModulesDep) Names() []string {
	if d == nil {
		return nil
	}
	names := make([]string, 0, d.count)
	for id, e := range d.entries {
		if e.pathEnd != 0 {
			names = append(names, d.name(uint32(id)))
		}
	}
	return names
}
