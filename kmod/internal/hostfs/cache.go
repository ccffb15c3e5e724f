package hostfs

import (
	"io/fs"
	"sync"
	"syscall"
	"time"
)

// fileID identifies one version of a file: a parsed result is reused only
// while every field is unchanged, so a rewritten, replaced or touched file is
// always parsed again.
type fileID struct {
	size  int64
	mtime time.Time
	ctime syscall.Timespec
	ino   uint64
	dev   uint64
}

func identify(fi fs.FileInfo) fileID {
	if si, ok := fi.(statInfo); ok {
		return fileID{size: si.size, mtime: si.ModTime(), ctime: si.ctime, ino: si.ino, dev: si.dev}
	}
	id := fileID{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.ctime, id.ino, id.dev = st.Ctim, st.Ino, st.Dev
	}
	return id
}

// Cache keeps one parsed value per real path, valid while the file's
// identity is unchanged.
type Cache[T any] struct {
	mu      sync.Mutex
	entries map[string]cacheEntry[T]
}

type cacheEntry[T any] struct {
	id    fileID
	value T
	err   error
	// forgotten: the value was let go (Forget); only Peek sees the entry.
	forgotten bool
}

// Get returns the cached value for path if current (from a fresh stat) still
// identifies the version that was parsed; otherwise it calls load, which
// returns the value and the identity of the version it read, and caches that.
// Errors are not cached: the next scrape tries again.
func (c *Cache[T]) Get(path string, current fs.FileInfo, load func() (T, fs.FileInfo, error)) (T, error) {
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && e.err == nil && !e.forgotten && e.id == identify(current) {
		return e.value, nil
	}
	v, fi, err := load()
	if err != nil {
		return v, err
	}
	c.put(path, cacheEntry[T]{id: identify(fi), value: v})
	return v, nil
}

// Verdict is get for a file whose failure to parse is an answer about that
// version of it (a corrupt, truncated or oversized module): the error is
// kept as the value is, so a bad file is not decompressed again every
// scrape. An error without the identity of what was read (the file could
// not be opened) is not kept.
func (c *Cache[T]) Verdict(path string, current fs.FileInfo, load func() (T, fs.FileInfo, error)) (T, error) {
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && !e.forgotten && e.id == identify(current) {
		return e.value, e.err
	}
	v, fi, err := load()
	if fi != nil {
		c.put(path, cacheEntry[T]{id: identify(fi), value: v, err: err})
	}
	return v, err
}

// Peek returns the kept value for path if current still identifies the
// version it was parsed from (the zero value if it was forgotten).
func (c *Cache[T]) Peek(path string, current fs.FileInfo) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[path]
	if !ok || e.err != nil || e.id != identify(current) {
		var zero T
		return zero, false
	}
	return e.value, true
}

// Forget lets go of the value kept for path, and keeps the identity of the
// version it was parsed from, for Peek.
func (c *Cache[T]) Forget(path string) {
	c.mu.Lock()
	if e, ok := c.entries[path]; ok {
		c.entries[path] = cacheEntry[T]{id: e.id, forgotten: true}
	}
	c.mu.Unlock()
}

func (c *Cache[T]) put(path string, e cacheEntry[T]) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]cacheEntry[T])
	}
	c.entries[path] = e
	c.mu.Unlock()
}

// Retain drops entries whose path is not in keep, so a cache of per-module
// files does not grow when the set of required modules changes.
func (c *Cache[T]) Retain(keep map[string]bool) {
	c.mu.Lock()
	for p := range c.entries {
		if !keep[p] {
			delete(c.entries, p)
		}
	}
	c.mu.Unlock()
}
