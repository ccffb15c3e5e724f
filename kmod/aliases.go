package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
)

// heldAliases is a snapshot's modules.alias index, held by the host only
// while snapshots use it. Its parse is two thirds of the exporter's live
// heap (1.9 MB for Debian's 26,223 aliases), and a host whose required
// modules all go by their own names never looks an alias up: a snapshot
// that did not is followed by dropping the parse, keeping the file's
// identity, and the next snapshot that needs it parses it again. A new or
// changed file is still parsed by the first snapshot that sees it, so a
// bad one is reported by that scrape as before.
type heldAliases struct {
	h    *Host
	path string
	// mu guards the first-use parse: a collector still running after the
	// stall limit asks the snapshot beside the next one.
	mu   sync.Mutex
	fi   fs.FileInfo // set while the index is to be parsed on first use
	stat fs.FileInfo // the file's, to parse it again after done dropped it
	idx  *AliasIndex
	used bool
	err  error // the parse on first use failed
}

// aliasesOf stats modules.alias at hostPath and returns its index: the one
// kept, one to parse on first use (the file is unchanged since a parse that
// was dropped), or, for a new or changed file, the file parsed now.
func (v *View) aliasesOf(hostPath string) (*heldAliases, error) {
	h := v.host
	fi, err := v.files.Stat(hostPath)
	if err != nil {
		if NotApplicable(err) {
			return nil, nil
		}
		return nil, err
	}
	a := &heldAliases{h: h, path: hostPath, stat: fi}
	if idx, ok := h.aliasCache.Peek(hostPath, fi); ok {
		a.idx = idx
		if idx == nil {
			a.fi = fi
		}
		return a, nil
	}
	a.idx, err = h.aliasCache.Get(hostPath, fi, a.load)
	return a, err
}

func (a *heldAliases) load() (*AliasIndex, fs.FileInfo, error) {
	data, fi, err := a.h.root.ReadFile(a.path, maxIndexFile)
	if err != nil {
		return nil, nil, err
	}
	idx, err := parseAliasIndex(data)
	if err != nil {
		err = fmt.Errorf("%s: %w", filepath.Join(a.h.root.Dir(), a.path), err)
	}
	return idx, fi, err
}

// index is the index, parsed first if it was dropped; nil without a file.
func (a *heldAliases) index() *AliasIndex {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.used = true
	if a.fi != nil {
		a.idx, a.err = a.h.aliasCache.Get(a.path, a.fi, a.load)
		a.fi = nil
	}
	return a.idx
}

// match, len and at are AliasIndex's, on the index.
func (a *heldAliases) match(name string) []string { return a.index().match(name) }
func (a *heldAliases) len() int                   { return a.index().len() }
func (a *heldAliases) at(i int) Alias             { return a.index().at(i) }

// done drops the parse when this use of the snapshot did not use it; a
// later use that does parses it again.
func (a *heldAliases) done() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.used && a.idx != nil {
		a.h.aliasCache.Forget(a.path)
		a.idx, a.fi = nil, a.stat
	}
}

// again starts another use of the snapshot (see Host.reuse).
func (a *heldAliases) again() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.used = false
}

// LateErr is what went wrong answering questions after the snapshot was
// read: the tree walk stopping early (TreeErr), or modules.alias failing
// to parse on first use.
func (s *Snapshot) LateErr() error {
	if s.aliases != nil {
		s.aliases.mu.Lock()
		defer s.aliases.mu.Unlock()
		if s.aliases.err != nil {
			return errors.Join(s.treeErr, s.aliases.err)
		}
	}
	return s.treeErr
}
