package kmod

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

// fileCache keeps one parsed value per real path, valid while the file's
// identity is unchanged.
type fileCache[T any] struct {
	mu      sync.Mutex
	entries map[string]cacheEntry[T]
}

type cacheEntry[T any] struct {
	id    fileID
	value T
}

// get returns the cached value for path if current (from a fresh stat) still
// identifies the version that was parsed; otherwise it calls load, which
// returns the value and the identity of the version it read, and caches that.
// Errors are not cached: the next scrape tries again.
func (c *fileCache[T]) get(path string, current fs.FileInfo, load func() (T, fs.FileInfo, error)) (T, error) {
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && e.id == identify(current) {
		return e.value, nil
	}
	v, fi, err := load()
	if err != nil {
		return v, err
	}
	id := identify(fi)
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]cacheEntry[T])
	}
	c.entries[path] = cacheEntry[T]{id: id, value: v}
	c.mu.Unlock()
	return v, nil
}

// retain drops entries whose path is not in keep, so a cache of per-module
// files does not grow when the set of required modules changes.
func (c *fileCache[T]) retain(keep map[string]bool) {
	c.mu.Lock()
	for p := range c.entries {
		if !keep[p] {
			delete(c.entries, p)
		}
	}
	c.mu.Unlock()
}
