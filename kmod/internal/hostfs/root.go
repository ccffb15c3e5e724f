// Package hostfs is the file layer under the host model: it opens, stats,
// lists and reads a host's files inside the directory its "/" is mounted
// at, bounds what is read, and caches parses by file identity. It knows
// nothing of modules.
package hostfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSymlinks matches the kernel's limit on links followed in one lookup
// (MAXSYMLINKS), so a link loop fails with ELOOP as it would on the host.
const maxSymlinks = 40

// ErrTooLarge is returned when a file is larger than the bound its reader
// allows; the bound keeps a hostile or corrupt file from exhausting memory.
var ErrTooLarge = errors.New("file larger than the allowed bound")

// ErrNotRegular is returned for FIFOs, devices and sockets where a regular file
// is expected: reading them could block or never end.
var ErrNotRegular = errors.New("not a regular file")

// Root reads the files of a host whose "/" is mounted at Dir. Symbolic links
// are resolved as the host would resolve them: an absolute target is taken
// relative to Dir and ".." never climbs above it, so nothing outside Dir is
// opened even when the host's links point elsewhere.
type Root struct {
	dir  string
	fd   *os.File  // the root opened for openat2; nil: resolve by hand
	memo *statMemo // answers kept between scopes; nil: none
}

// NewRoot returns a Root for a host mounted at dir ("/" for this host).
func NewRoot(dir string) Root {
	if dir == "" {
		dir = "/"
	}
	dir = filepath.Clean(dir)
	return Root{dir: dir, fd: openRootDir(dir), memo: newStatMemo(dir)}
}

// Asked is a count that stands still while every answer the root gave
// since it was taken is what its files would give now: it moves when a
// file is asked anything directly or to fill the memo, and when inotify
// drops kept answers for a change (seen when a Scope begins). Resolve is
// not counted: its callers check its answer again themselves. ok is false
// where changes are not watched (no inotify): then nothing can be shown
// unchanged.
func (r Root) Asked() (n uint64, ok bool) {
	if r.memo == nil {
		return 0, false
	}
	return r.memo.asked.Load(), true
}

// ask counts one question put to the files (see Asked).
func (r Root) ask() {
	if r.memo != nil {
		r.memo.asked.Add(1)
	}
}

// Dir is the directory the host's "/" is mounted at.
func (r Root) Dir() string { return r.dir }

// Resolve maps host path p (absolute, as seen on the host) to the path of the
// same file on this machine, following links inside the root. It does not
// require the final component to exist.
func (r Root) Resolve(p string) (string, error) {
	if r.dir == "/" {
		return path.Clean("/" + p), nil
	}
	done, missing, _, err := walkPath(r.dir, p, true, nil)
	if err != nil {
		return "", err
	}
	// The rest cannot resolve through links that do not exist.
	return filepath.Join(r.dir, filepath.Join(append(done, missing...)...)), nil
}

// walkPath resolves host path p inside the directory root the way the host
// would: an absolute link target starts again at root, ".." never climbs
// above it, at most maxSymlinks links. A link at the end is followed when
// follow is set. visit, if not nil, gets each real directory a component
// is looked up in, before the lookup, and stops the walk with its error.
// It returns the components resolved and, from the first one that does
// not exist on, the components left (nil: all exist), and the last
// component's type (ModeDir where the path ends on "/", "." or "..").
func walkPath(root, p string, follow bool, visit func(dir string) error) (done, missing []string, last fs.FileMode, err error) {
	pending := splitPath(p)
	last = fs.ModeDir
	links := 0
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case "", ".":
			last = fs.ModeDir
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			last = fs.ModeDir
			continue
		}
		dir := filepath.Join(root, filepath.Join(done...))
		if visit != nil {
			if err := visit(dir); err != nil {
				return nil, nil, 0, err
			}
		}
		real := filepath.Join(dir, comp)
		fi, err := os.Lstat(real)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return done, append([]string{comp}, pending...), 0, nil
			}
			return nil, nil, 0, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 || (len(pending) == 0 && !follow) {
			done, last = append(done, comp), fi.Mode().Type()
			continue
		}
		links++
		if links > maxSymlinks {
			return nil, nil, 0, &fs.PathError{Op: "resolve", Path: filepath.Join(root, p), Err: syscall.ELOOP}
		}
		target, err := os.Readlink(real)
		if err != nil {
			return nil, nil, 0, err
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		pending = append(splitPath(target), pending...)
	}
	return done, nil, last, nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// openRead opens a file at a path on this machine (not resolved inside a
// root: /proc is read this way) and reads it, refusing non-regular files
// and anything over limit bytes. Files in /proc report size 0, so the bound
// is enforced on what is read, not on the size reported. The descriptor is
// returned open, for the caller to keep or close; -1 if the open failed.
func openRead(real string, limit int64) (int, []byte, fs.FileInfo, error) {
	fd, err := openRetry(func() (int, error) { return unix.Open(real, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0) })
	if err != nil {
		return -1, nil, nil, &fs.PathError{Op: "open", Path: real, Err: err}
	}
	data, fi, err := readFD(fd, real, limit)
	return fd, data, fi, err
}

// openRetry retries an open the kernel interrupted, or asked to retry
// because a rename raced the lookup.
func openRetry(open func() (int, error)) (int, error) {
	for {
		fd, err := open()
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		return fd, err
	}
}

// readFD reads an open file under openRead's rules; name is for errors.
// It works on the descriptor directly: an os.File would add a system call
// and an allocation per file, and a scrape reads dozens.
func readFD(fd int, name string, limit int64) ([]byte, fs.FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	fi := newStatInfo(filepath.Base(name), &st)
	if !fi.Mode().IsRegular() {
		return nil, fi, &fs.PathError{Op: "read", Path: name, Err: ErrNotRegular}
	}
	if st.Size > limit {
		// Refused before reading: files in /proc report size 0 and are
		// bounded by the read below instead.
		return nil, fi, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%d bytes, bound %d)", ErrTooLarge, st.Size, limit)}
	}
	buf, err := fill(name, st.Size, limit, func(p []byte, _ int64) (int, bool, error) {
		n, err := unix.Read(fd, p)
		return n, n == 0, err
	})
	return buf, fi, err
}

// fill reads a file's content through read, which reads at an offset and
// says whether that was the end, into a buffer sized for size bytes and
// grown as needed up to limit, beyond which it fails with ErrTooLarge.
func fill(name string, size, limit int64, read func(p []byte, off int64) (n int, end bool, err error)) ([]byte, error) {
	// One byte more than the size reported, so one read reaches the end;
	// /proc files report 0 and start small (most hold a line) and grow.
	buf := make([]byte, 0, min(max(size+1, 512), limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)}
			}
			buf = slices.Grow(buf, int(min(int64(cap(buf)), limit+1-int64(cap(buf)))))
		}
		n, end, err := read(buf[len(buf):cap(buf)], int64(len(buf)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		buf = buf[:len(buf)+n]
		if end {
			return buf, nil
		}
	}
}

// StatTop stats the root directory itself on this machine: whether the
// path the exporter was given exists at all.
func (r Root) StatTop() (fs.FileInfo, error) { return os.Stat(r.dir) }
