package hostfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TreeCache keeps an index built from the walk of each directory tree (the
// module files under /lib/modules/<release>, for modules modules.dep does
// not place) until a directory of the tree changes. A module missing from modules.dep or from
// disk is asked about every scrape; walking the 883 directories of a Debian
// tree each time cost about 10 ms, 25 times a healthy scrape.
//
// Whether a directory changed is known from inotify: a watch on each
// directory, set before it is listed, so a change made during the walk is
// seen too, and checked with one non-blocking read per scrape. Where
// inotify is unavailable (no instances or watches left) or would miss
// changes (a network filesystem, FUSE), every directory is stat'ed
// instead (about 0.9 ms on that tree).
type TreeCache struct {
	// MaxEntries bounds the entries one walk visits.
	MaxEntries int

	mu      sync.Mutex
	entries map[string]*treeWalk // real directory -> its last walk
	noWatch bool                 // a watch failed: validate by stats
}

// treeWalk is one walk of a tree and what tells whether it is current.
type treeWalk struct {
	id    dirStamp // the release directory itself
	index map[string]string
	err   error
	watch *treeWatch // nil: validated by stats
	// dirs are every directory walked, for validation by stats; settled is
	// false when one changed so recently that a later change within the
	// same timestamp tick would go unseen, so the walk is not reused.
	dirs        []dirStamp
	settled     bool
	watchFailed bool
}

// dirStamp identifies one version of a directory: adding, removing or
// renaming an entry changes its mtime and ctime, replacing it its inode.
type dirStamp struct {
	path         string
	mtime, ctime unix.Timespec
	ino, dev     uint64
}

func stampDir(p string) (dirStamp, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return dirStamp{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return dirStamp{}, syscall.ENOTDIR
	}
	return dirStamp{path: p, mtime: st.Mtim, ctime: st.Ctim, ino: st.Ino, dev: st.Dev}, nil
}

// settleMargin: a directory whose ctime is this close to the walk may
// change again within the same tick of the filesystem's clock (coarse, a
// few milliseconds) without its timestamps showing it.
var settleMargin = time.Second

// treeWatchMask is what changes the index: entries added, removed or
// renamed, a directory's own removal or move, and attributes (a directory
// made unreadable hides its files).
const treeWatchMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ATTRIB | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW

// treeWatch is an inotify instance watching one tree's directories.
type treeWatch struct {
	fd      int
	cleanup runtime.Cleanup
}

// inotifyDisabled makes walks validate by stats, and treeWalks counts
// walks: for the tests.
var (
	inotifyDisabled bool
	treeWalks       atomic.Int64
)

// localFS are the filesystems whose every change inotify reports: on a
// network filesystem (NFS, CIFS) or FUSE, a change made by another machine
// or the daemon raises no event, so a tree there is validated by stats.
var localFS = map[int64]bool{
	0xef53:     true, // ext2, ext3, ext4
	0x58465342: true, // xfs
	0x9123683e: true, // btrfs
	0x01021994: true, // tmpfs
	0x73717368: true, // squashfs
	0x794c7630: true, // overlayfs
	0xf2f52010: true, // f2fs
	0x2fc12fc1: true, // zfs
	0xe0f5e1e2: true, // erofs
}

func newTreeWatch(real string) *treeWatch {
	var fs unix.Statfs_t
	if inotifyDisabled || unix.Statfs(real, &fs) != nil || !localFS[int64(fs.Type)] {
		return nil
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	w := &treeWatch{fd: fd}
	// A Host dropped without its walks being replaced still closes them.
	w.cleanup = runtime.AddCleanup(w, func(fd int) { unix.Close(fd) }, fd)
	return w
}

func (w *treeWatch) add(dir string) error {
	_, err := unix.InotifyAddWatch(w.fd, dir, treeWatchMask)
	return err
}

// quiet reports whether nothing happened in the watched directories since
// they were watched. Any event, an overflowed queue or an error is "not
// quiet": the tree is walked again with a new watch.
func (w *treeWatch) quiet() bool {
	var buf [256]byte
	_, err := unix.Read(w.fd, buf[:])
	return errors.Is(err, unix.EAGAIN)
}

func (w *treeWatch) close() {
	if w != nil {
		w.cleanup.Stop()
		unix.Close(w.fd)
	}
}

// current reports whether the walk still describes the tree at real.
func (t *treeWalk) current(real string) bool {
	if !t.settled {
		return false
	}
	id, err := stampDir(real)
	if err != nil || id.ino != t.id.ino || id.dev != t.id.dev {
		return false
	}
	if t.watch != nil {
		return t.watch.quiet()
	}
	for _, d := range t.dirs {
		if now, err := stampDir(d.path); err != nil || now != d {
			return false
		}
	}
	return true
}

// Walk returns the index of the tree at real (host path dir), from the
// last walk while no directory of it changed. build makes the index from
// the host paths of the tree's regular files, in walk order.
func (c *TreeCache) Walk(real, dir string, build func(files []string) map[string]string) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.entries[real]; t != nil {
		if t.current(real) {
			return t.index, t.err
		}
		t.watch.close()
		delete(c.entries, real)
	}
	t := walkTree(real, dir, !c.noWatch, c.MaxEntries, build)
	c.noWatch = c.noWatch || t.watchFailed
	if t.settled {
		if c.entries == nil {
			c.entries = map[string]*treeWalk{}
		}
		c.entries[real] = t
	} else {
		t.watch.close()
	}
	return t.index, t.err
}

// Len is how many walks are kept.
func (c *TreeCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Retain drops the walks of trees no longer asked about (their modules are
// back in modules.dep, or the release is gone).
func (c *TreeCache) Retain(keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for real, t := range c.entries {
		if !keep[real] {
			t.watch.close()
			delete(c.entries, real)
		}
	}
}

// walkTree indexes the regular files under the directory real (host path
// dir) with build. Links are not followed ("build" and "source" under a
// release directory point at kernel headers).
func walkTree(real, dir string, watch bool, maxEntries int, build func(files []string) map[string]string) *treeWalk {
	treeWalks.Add(1)
	t := &treeWalk{settled: true}
	var err error
	if t.id, err = stampDir(real); err != nil {
		// Nothing to watch: not kept, asked again next time.
		t.settled = false
	}
	if watch {
		t.watch = newTreeWatch(real)
	}
	start := time.Now()
	var files []string
	count := 0
	err = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable subdirectory hides only its own files
		}
		count++
		if count > maxEntries {
			return fmt.Errorf("%s: more than %d entries", real, maxEntries)
		}
		if d.IsDir() {
			// WalkDir calls this before listing the directory, so a change
			// made while it is listed is seen at the next validation.
			t.validate(p, start)
			return nil
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(real, p)
			files = append(files, path.Join(dir, filepath.ToSlash(rel)))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		t.err = err
	}
	t.index = build(files)
	return t
}

// validate arranges for a change to directory p to be seen: a watch on it,
// or, without inotify, its stamp. A watch that fails midway (out of
// watches, or a filesystem without inotify) leaves the directories already
// listed unaccounted for: that walk is not kept, and later walks of the
// cache stamp instead.
func (t *treeWalk) validate(p string, start time.Time) {
	if t.watch != nil {
		if t.watch.add(p) == nil {
			return
		}
		t.watch.close()
		t.watch = nil
		t.settled, t.watchFailed = false, true
		return
	}
	if !t.settled {
		return
	}
	s, err := stampDir(p)
	if err != nil || time.Unix(s.ctime.Unix()).After(start.Add(-settleMargin)) {
		t.settled = false
		return
	}
	t.dirs = append(t.dirs, s)
}
