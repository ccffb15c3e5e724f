package hostfs

import (
	"encoding/binary"
	"errors"
	"io/fs"
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
// are set before the lookup, so any later change raises an event. An event
// in a directory drops the answers that went through it at the next scope;
// a busy directory (a kubelet's) thus costs only its own answers. Where a
// watch cannot be set (a network filesystem or FUSE, whose changes raise no
// event; no watches left) the answer is not kept and the files are asked
// each time, as without the memo.
type statMemo struct {
	root    string // the root's directory on this machine
	mu      sync.Mutex
	dirs    map[string]int32 // real directory -> its watch
	watches map[int32]*memoDir
	answers map[memoKey]memoAnswer
	// asked counts what could make an answer given before differ from the
	// files now: the files asked (to fill the memo or directly) and the
	// answers dropped for a change. See Root.Asked.
	asked atomic.Uint64
}

// memoDir is one watched directory and the answers looked up in it.
type memoDir struct {
	dir  string
	gen  uint64 // counts the events seen: an answer computed across one is not kept
	keys map[memoKey]struct{}
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

// begin starts a scope: the events since the last one drop the answers
// they concern.
func (m *statMemo) begin() {
	if m != nil {
		notify.poll()
	}
}

// changed drops the answers looked up in the directory of watch wd; gone:
// the kernel removed the watch (the directory is gone).
func (m *statMemo) changed(wd int32, gone bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked.Add(1)
	d := m.watches[wd]
	if d == nil {
		return
	}
	for k := range d.keys {
		delete(m.answers, k)
	}
	clear(d.keys)
	d.gen++
	if gone {
		delete(m.dirs, d.dir)
		delete(m.watches, wd)
	}
}

// changedAll drops every answer: events were lost.
func (m *statMemo) changedAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropAll()
}

func (m *statMemo) dropAll() {
	m.asked.Add(1)
	clear(m.answers)
	for _, d := range m.watches {
		clear(d.keys)
		d.gen++
	}
}

type memoDep struct {
	wd  int32
	gen uint64
}

// get returns the kept answer to k, or computes it. The directories the
// answer depends on are watched first (trace); if one cannot be, or one
// changed before the answer is stored, it is not kept.
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
	var deps []memoDep
	watched := trace(func(dir string) bool {
		d, ok := m.watch(dir)
		deps = append(deps, d)
		return ok
	})
	memoComputes.Add(1)
	m.asked.Add(1)
	a = compute()
	if !watched {
		return a
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range deps {
		if w := m.watches[d.wd]; w == nil || w.gen != d.gen {
			return a
		}
	}
	if len(m.answers) >= maxMemoAnswers {
		m.dropAll()
	}
	if m.answers == nil {
		m.answers = map[memoKey]memoAnswer{}
	}
	m.answers[k] = a
	for _, d := range deps {
		m.watches[d.wd].keys[k] = struct{}{}
	}
	return a
}

// watch makes sure the real directory dir is watched.
func (m *statMemo) watch(dir string) (memoDep, bool) {
	m.mu.Lock()
	if wd, ok := m.dirs[dir]; ok {
		defer m.mu.Unlock()
		return memoDep{wd, m.watches[wd].gen}, true
	}
	m.mu.Unlock()
	wd, ok := notify.add(m, dir)
	if !ok {
		return memoDep{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.watches[wd]
	if d == nil {
		if m.watches == nil {
			m.dirs, m.watches = map[string]int32{}, map[int32]*memoDir{}
		}
		d = &memoDir{dir: dir, keys: map[memoKey]struct{}{}}
		m.watches[wd] = d
	}
	m.dirs[dir] = wd
	return memoDep{wd, d.gen}, true
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
func (h *inotifyHub) add(m *statMemo, dir string) (int32, bool) {
	h.init()
	if h.fd < 0 {
		return 0, false
	}
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil || !localFS[int64(st.Type)] {
		return 0, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	wd, err := unix.InotifyAddWatch(h.fd, dir, memoWatchMask)
	if err != nil {
		return 0, false
	}
	wp := weak.Make(m)
	if !slices.Contains(h.byWD[int32(wd)], wp) {
		h.byWD[int32(wd)] = append(h.byWD[int32(wd)], wp)
	}
	return int32(wd), true
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
			h.mark(wd, mask&unix.IN_IGNORED != 0)
		}
	}
}

// mark tells the memos watching wd; gone: the kernel dropped the watch.
func (h *inotifyHub) mark(wd int32, gone bool) {
	live := h.byWD[wd][:0]
	for _, wp := range h.byWD[wd] {
		if m := wp.Value(); m != nil {
			m.changed(wd, gone)
			live = append(live, wp)
		}
	}
	if len(live) == 0 || gone {
		delete(h.byWD, wd)
	} else {
		h.byWD[wd] = live
	}
}

// markAll tells every memo that events were lost.
func (h *inotifyHub) markAll() {
	for wd, memos := range h.byWD {
		live := memos[:0]
		for _, wp := range memos {
			if m := wp.Value(); m != nil {
				m.changedAll()
				live = append(live, wp)
			}
		}
		if len(live) == 0 {
			delete(h.byWD, wd)
		} else {
			h.byWD[wd] = live
		}
	}
}

// The inotify event's layout is fixed by the kernel's ABI.
var _ = [1]struct{}{}[unix.SizeofInotifyEvent-int(unsafe.Sizeof(unix.InotifyEvent{}))]

// trace resolves host path p by hand, as Resolve does, calling visit with
// each real directory a component is looked up in, before looking, and
// with the final directory when p is one: a directory's own answers (its
// entries, its times) change with its entries. A link at the end is
// followed when follow is set. It reports false when visit did, or when
// the walk failed otherwise than on a missing entry (which is watched for
// in the directory it is missing from).
func (m *statMemo) trace(p string, follow bool, visit func(dir string) bool) bool {
	done, missing, last, err := walkPath(m.root, p, follow, func(dir string) error {
		if !visit(dir) {
			return errNotWatched
		}
		return nil
	})
	switch {
	case err != nil:
		return errors.Is(err, syscall.ENOTDIR) // under a file: nothing to find, as missing
	case missing != nil || !last.IsDir():
		return true
	}
	return visit(filepath.Join(m.root, filepath.Join(done...)))
}

// errNotWatched stops a trace whose directory cannot be watched.
var errNotWatched = errors.New("directory not watched")

// memoed answers op on hostPath from the root's memo.
func (sc *Scope) memoed(op memoOp, hostPath string, compute func() memoAnswer) memoAnswer {
	m := sc.root.memo
	if m == nil {
		return compute()
	}
	p := cleanAbs(hostPath)
	trace := func(visit func(string) bool) bool {
		// Lstat and Readlink look the final entry up without following it.
		return m.trace(p, op != opLstat && op != opReadlink, visit)
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
