package kmod

import (
	"cmp"
	"slices"
	"strings"
)

// AliasIndex answers "which aliases match this name" without trying every
// pattern: patterns without wildcards are looked up exactly, the others by
// their literal prefix (the part before the first wildcard), so a lookup
// costs one map probe per byte of the name plus the few patterns that
// share its prefix, not the tens of thousands of a distribution kernel.
//
// It is built to stay cheap while cached for the life of the process: the
// patterns and module names are two strings, everything else integer
// slices and integer-keyed maps, so the garbage collector has a handful of
// objects to scan instead of one per alias (26,223 on Debian's amd64
// kernel). Groups are keyed by a hash of the pattern or prefix; a hash
// collision only adds candidates, which fnmatch then rejects.
type AliasIndex struct {
	patterns string   // every pattern, back to back
	patEnd   []uint32 // alias i's pattern ends at patEnd[i], starts at patEnd[i-1]
	modules  string   // every module name once, back to back
	modEnd   []uint32 // module j's name ends at modEnd[j]
	module   []uint32 // alias i's module

	exact, prefixed   map[uint64]uint64 // hash -> start<<32 | end in exactIdx / prefixIdx
	exactIdx, prefIdx []uint32          // alias indexes grouped by hash, in file order within a group
	noPrefix          []uint32          // patterns starting with a wildcard
}

// NewAliasIndex indexes aliases, keeping their order.
func NewAliasIndex(aliases []Alias) *AliasIndex {
	x := &AliasIndex{
		patEnd: make([]uint32, len(aliases)),
		module: make([]uint32, len(aliases)),
	}
	var pat, mod strings.Builder
	size := 0
	for _, a := range aliases {
		size += len(a.Pattern)
	}
	pat.Grow(size)
	ids := map[string]uint32{}
	type entry struct {
		hash uint64
		i    uint32
	}
	var exact, prefixed []entry
	for i, a := range aliases {
		pat.WriteString(a.Pattern)
		x.patEnd[i] = uint32(pat.Len())
		id, ok := ids[a.Module]
		if !ok {
			id = uint32(len(x.modEnd))
			ids[a.Module] = id
			mod.WriteString(a.Module)
			x.modEnd = append(x.modEnd, uint32(mod.Len()))
		}
		x.module[i] = id
		switch cut := strings.IndexAny(a.Pattern, "*?[\\"); {
		case cut < 0:
			exact = append(exact, entry{hashString(a.Pattern), uint32(i)})
		case cut == 0:
			x.noPrefix = append(x.noPrefix, uint32(i))
		default:
			prefixed = append(prefixed, entry{hashString(a.Pattern[:cut]), uint32(i)})
		}
	}
	x.patterns, x.modules = pat.String(), mod.String()
	group := func(entries []entry) (map[uint64]uint64, []uint32) {
		// Stable, so each group keeps file order.
		slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(a.hash, b.hash) })
		m := make(map[uint64]uint64)
		idx := make([]uint32, len(entries))
		for start := 0; start < len(entries); {
			end := start
			for end < len(entries) && entries[end].hash == entries[start].hash {
				idx[end] = entries[end].i
				end++
			}
			m[entries[start].hash] = uint64(start)<<32 | uint64(end)
			start = end
		}
		return m, idx
	}
	x.exact, x.exactIdx = group(exact)
	x.prefixed, x.prefIdx = group(prefixed)
	return x
}

// FNV-1a, which can be extended a byte at a time: the hashes of every prefix
// of a name cost one pass over it.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// len is the number of aliases.
func (x *AliasIndex) len() int { return len(x.patEnd) }

// at is alias i.
func (x *AliasIndex) at(i int) Alias {
	return Alias{Pattern: x.pattern(uint32(i)), Module: x.moduleOf(uint32(i))}
}

func (x *AliasIndex) pattern(i uint32) string {
	start := uint32(0)
	if i > 0 {
		start = x.patEnd[i-1]
	}
	return x.patterns[start:x.patEnd[i]]
}

func (x *AliasIndex) moduleOf(i uint32) string {
	id := x.module[i]
	start := uint32(0)
	if id > 0 {
		start = x.modEnd[id-1]
	}
	return x.modules[start:x.modEnd[id]]
}

func groupOf(m map[uint64]uint64, idx []uint32, hash uint64) []uint32 {
	r, ok := m[hash]
	if !ok {
		return nil
	}
	return idx[r>>32 : uint32(r)]
}

// match is matchAliases over the index: every matching alias's module, in
// file order, repeats kept.
func (x *AliasIndex) match(name string) []string {
	if x == nil {
		return nil
	}
	candidates := append([]uint32{}, groupOf(x.exact, x.exactIdx, hashString(name))...)
	candidates = append(candidates, x.noPrefix...)
	h := uint64(fnvOffset)
	for l := 0; l < len(name); l++ {
		h = (h ^ uint64(name[l])) * fnvPrime
		candidates = append(candidates, groupOf(x.prefixed, x.prefIdx, h)...)
	}
	slices.Sort(candidates)
	// Two prefixes of the name whose hashes collide add their group twice.
	candidates = slices.Compact(candidates)
	var out []string
	for _, i := range candidates {
		if fnmatch(x.pattern(i), name) {
			out = append(out, x.moduleOf(i))
		}
	}
	return out
}

// parseAliasIndex parses modules.alias into an index; a partly malformed
// file still yields the lines that parsed.
func parseAliasIndex(data []byte) (*AliasIndex, error) {
	aliases, err := ParseModulesAlias(data)
	return NewAliasIndex(aliases), err
}
