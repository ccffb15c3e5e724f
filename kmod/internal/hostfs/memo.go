package hostfs

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
	"weak"

	"golang.org/x/sys/unix"
)

// statMemo keeps the answers of a root's stats, listings, link reads and
// access checks between scrapes, while inotify reports no change in any
// directory that answer was looked up in. A warm scrape asks the same
// hundred or so of them each time, nearly all unchanged; asking inotify
// once replaces about 130 system calls (docs/benchmarks.md).
//
// An answer is kept only once every directory its lookup went through
// (each path component, each link followed) is watched, and the watches
// are set before the lookup, so any later change raises an event. Any
// event in any of them drops every answer at the next scope. Where a watch
// cannot be set (a network filesystem or FUSE, whose changes raise no
// event; no watches left) the answer is not kept and the files are asked
// each time, as without the memo.
type statMemo struct {
	root    string // the root's directory on this machine
	dirty   atomic.Bool
	mu      sync.Mutex
	watched map[string]bool // real directories watched since the last flush
	answers map[memoKey]memoAnswer
}

type memoOp uint8

const (
	opStat memoOp = iota
	opLstat
	opReadDir
	opReadlink
	opReadable
)

type memoKey struct {
	op   memoOp
	path string // host path, cleaned
}

type memoAnswer struct {
	fi      fs.FileInfo
	entries []fs.DirEntry
	link    string
	err     error
}

// memoComputes counts answers asked of the files, for the tests.
var memoComputes atomic.Int64

// maxMemoAnswers bounds what one root keeps; past it, everything is
// dropped and the memo fills again from what scrapes ask.
const maxMemoAnswers = 8192

func newStatMemo(dir string) *statMemo {
	if inotifyDisabled {
		return nil
	}
	return &statMemo{root: dir}
}

// begin starts a scope: the events since the last one are read, and any
// of them drops the kept answers.
func (m *statMemo) begin() {
	if m == nil {
		return
	}
	notify.poll()
	if m.dirty.Swap(false) {
		m.flush()
	}
}

func (m *statMemo) flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.watched)
	clear(m.answers)
}

// get returns the kept answer to k, or computes it. The directories the
// answer depends on are watched first (trace); if one cannot be, the
// answer is computed and not kept.
func (m *statMemo) get(k memoKey, trace func(visit func(dir string) bool) bool, compute func() memoAnswer) memoAnswer {
	if m == nil {
		return compute()
	}
	m.mu.Lock()
	a, ok := m.answers[k]
	m.mu.Unlock()
	if ok {
		return a
	}
	watched := trace(m.watch)
	memoComputes.Add(1)
	a = compute()
	if watched {
		m.mu.Lock()
		if len(m.answers) >= maxMemoAnswers {
			clear(m.answers)
		}
		if m.answers == nil {
			m.answers = map[memoKey]memoAnswer{}
		}
		m.answers[k] = a
		m.mu.Unlock()
	}
	return a
}

// watch makes sure the real directory dir is watched.
func (m *statMemo) watch(dir string) bool {
	m.mu.Lock()
	done := m.watched[dir]
	m.mu.Unlock()
	if done {
		return true
	}
	if !notify.add(m, dir) {
		return false
	}
	m.mu.Lock()
	if m.watched == nil {
		m.watched = map[string]bool{}
	}
	m.watched[dir] = true
	m.mu.Unlock()
	return true
}

// memoWatchMask: what changes an answer about a directory's entries: one
// added, removed or renamed, written to, its mode, owner or times changed;
// the directory itself removed or moved.
const memoWatchMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// notify is the process's one inotify instance for every memo: hosts are
// cheap to create (tests make hundreds) and instances are few (128 per
// user by default). Events are dispatched to the memos that watch their
// directory.
var notify inotifyHub

type inotifyHub struct {
	once sync.Once
	fd   int // -1: no inotify
	mu   sync.Mutex
	byWD map[int32][]weak.Pointer[statMemo]
}

func (h *inotifyHub) init() {
	h.once.Do(func() {
		fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			fd = -1
		}
		h.fd, h.byWD = fd, map[int32][]weak.Pointer[statMemo]{}
	})
}

// add watches dir for m. The watch is set and m registered under one lock
// that poll also takes, so no event after the watch is read before m is
// listed for it.
func (h *inotifyHub) add(m *statMemo, dir string) bool {
	h.init()
	if h.fd < 0 {
		return false
	}
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil || !localFS[int64(st.Type)] {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	wd, err := unix.InotifyAddWatch(h.fd, dir, memoWatchMask)
	if err != nil {
		return false
	}
	wp := weak.Make(m)
	if !slices.Contains(h.byWD[int32(wd)], wp) {
		h.byWD[int32(wd)] = append(h.byWD[int32(wd)], wp)
	}
	return true
}

// poll reads every pending event and marks the memos watching its
// directory; an overflowed queue or a failed read marks them all.
func (h *inotifyHub) poll() {
	h.init()
	if h.fd < 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var buf [4096]byte
	for {
		n, err := unix.Read(h.fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			if !errors.Is(err, unix.EAGAIN) {
				h.markAll()
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			nameLen := binary.NativeEndian.Uint32(buf[off+12:])
			off += unix.SizeofInotifyEvent + int(nameLen)
			if mask&unix.IN_Q_OVERFLOW != 0 {
				h.markAll()
				continue
			}
			h.mark(wd)
			if mask&unix.IN_IGNORED != 0 { // the kernel dropped the watch
				delete(h.byWD, wd)
			}
		}
	}
}

func (h *inotifyHub) mark(wd int32) {
	live := h.byWD[wd][:0]
	for _, wp := range h.byWD[wd] {
		if m := wp.Value(); m != nil {
			m.dirty.Store(true)
			live = append(live, wp)
		}
	}
	if len(live) == 0 {
		delete(h.byWD, wd)
	} else {
		h.byWD[wd] = live
	}
}

func (h *inotifyHub) markAll() {
	for wd := range h.byWD {
		h.mark(wd)
	}
}

// The inotify event's layout is fixed by the kernel's ABI.
var _ = [1]struct{}{}[unix.SizeofInotifyEvent-int(unsafe.Sizeof(unix.InotifyEvent{}))]

// trace resolves host path p by hand, as Resolve does, calling visit with
// each real directory a component is looked up in, before looking, and
// with the final directory when p is one. A link at the end is followed
// when follow is set. It reports false when visit did.
func (m *statMemo) trace(p string, follow bool, visit func(dir string) bool) bool {
	pending := splitPath(p)
	var done []string
	links := 0
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		dir := filepath.Join(m.root, filepath.Join(done...))
		if !visit(dir) {
			return false
		}
		real := filepath.Join(dir, comp)
		fi, err := os.Lstat(real)
		if err != nil {
			// A missing entry is watched for in dir; any other error is
			// not kept.
			return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
		}
		if fi.Mode()&fs.ModeSymlink == 0 || (len(pending) == 0 && !follow) {
			done = append(done, comp)
			if len(pending) == 0 {
				// A directory's own answers (its entries, its times)
				// change with its entries.
				return !fi.IsDir() || visit(real)
			}
			continue
		}
		if links++; links > maxSymlinks {
			return false
		}
		target, err := os.Readlink(real)
		if err != nil {
			return false
		}
		if path.IsAbs(target) {
			done = done[:0]
		}
		pending = append(splitPath(target), pending...)
	}
	// Ended on "/", "." or "..": a directory.
	return visit(filepath.Join(m.root, filepath.Join(done...)))
}

// memoed answers op on hostPath from the root's memo.
func (sc *Scope) memoed(op memoOp, hostPath string, compute func() memoAnswer) memoAnswer {
	m := sc.root.memo
	if m == nil {
		return compute()
	}
	p := cleanAbs(hostPath)
	trace := func(visit func(string) bool) bool {
		switch op {
		case opLstat, opReadlink:
			// The final entry is looked up, not followed: its directory
			// answers for it.
			return m.trace(path.Dir(p), true, visit)
		default:
			return m.trace(p, true, visit)
		}
	}
	return m.get(memoKey{op, p}, trace, compute)
}

// ReadDir lists a host directory, sorted by name, like Root.ReadDir.
func (sc *Scope) ReadDir(hostPath string) ([]fs.DirEntry, error) {
	a := sc.memoed(opReadDir, hostPath, func() memoAnswer {
		entries, err := sc.root.ReadDir(hostPath)
		return memoAnswer{entries: entries, err: err}
	})
	return slices.Clone(a.entries), a.err
}

// Readable reports why a host file or directory cannot be opened for
// reading, like Root.Readable.
func (sc *Scope) Readable(hostPath string) error {
	return sc.memoed(opReadable, hostPath, func() memoAnswer {
		return memoAnswer{err: sc.root.Readable(hostPath)}
	}).err
}

// cleanAbs is path.Clean("/" + p) without its allocations for a path that
// is already clean, as nearly every path asked about is.
func cleanAbs(p string) string {
	if p == "" || p[0] != '/' || (len(p) > 1 && p[len(p)-1] == '/') {
		return path.Clean("/" + p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		if strings.HasPrefix(rest, "/") || rest == "." || rest == ".." ||
			strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../") {
			return path.Clean(p)
		}
	}
	return p
}
