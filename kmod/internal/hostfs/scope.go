package hostfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Scope stats a root's files for one scrape. Each directory a stat goes
// through is opened (or resolved) once per scope; a file is then one
// fstatat. The handles are closed by Close, which the owner calls once
// nothing uses the scope any more.
type Scope struct {
	root   Root
	mu     sync.Mutex
	dirFDs map[string]dirHandle // host dir -> handle inside the root (openat2)
	dirs   map[string]string    // host dir -> real dir (resolving by hand)
	closed bool
}

type dirHandle struct {
	fd  int
	err error
}

// Scope starts one scrape's stats of the root. Answers kept from earlier
// scopes are dropped if a directory they were looked up in changed since.
func (r Root) Scope() *Scope {
	r.memo.begin()
	return &Scope{root: r}
}

// Root is the root the scope stats.
func (sc *Scope) Root() Root { return sc.root }

// Stat follows a final link like stat(2) on the host.
func (sc *Scope) Stat(hostPath string) (fs.FileInfo, error) {
	a := sc.memoed(opStat, hostPath, func() memoAnswer {
		fi, err := sc.statAt(hostPath, true)
		return memoAnswer{fi: fi, err: err}
	})
	return a.fi, a.err
}

// Lstat does not follow a final link, like lstat(2) on the host.
func (sc *Scope) Lstat(hostPath string) (fs.FileInfo, error) {
	a := sc.memoed(opLstat, hostPath, func() memoAnswer {
		fi, err := sc.statAt(hostPath, false)
		return memoAnswer{fi: fi, err: err}
	})
	return a.fi, a.err
}

// Readlink returns the target of a link without following it.
func (sc *Scope) Readlink(hostPath string) (string, error) {
	a := sc.memoed(opReadlink, hostPath, func() memoAnswer {
		link, err := sc.root.Readlink(hostPath)
		return memoAnswer{link: link, err: err}
	})
	return a.link, a.err
}

// Close closes the scope's directory handles; stats after it go through
// the root without sharing them.
func (sc *Scope) Close() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, d := range sc.dirFDs {
		if d.err == nil {
			unix.Close(d.fd)
		}
	}
	sc.dirFDs, sc.closed = nil, true
}

// statAt stats a host path through the root, following a final link as the
// host would when follow is set. With openat2 each directory is opened once
// inside the root and a file costs one fstatat; otherwise each directory is
// resolved once by hand and a file costs one lstat. A final link takes the
// full in-root resolution.
func (sc *Scope) statAt(hostPath string, follow bool) (fs.FileInfo, error) {
	r := sc.root
	if r.dir == "/" {
		if follow {
			return os.Stat(hostPath)
		}
		return os.Lstat(hostPath)
	}
	dir, base := path.Split(path.Clean("/" + hostPath))
	if base == "" {
		return r.Stat(hostPath)
	}
	var fi fs.FileInfo
	if r.fd != nil {
		d, ok := sc.dirFD(dir)
		if !ok { // the scope was closed: no handles to share
			if follow {
				return r.Stat(hostPath)
			}
			return r.Lstat(hostPath)
		}
		if d.err != nil {
			return nil, &fs.PathError{Op: "stat", Path: filepath.Join(r.dir, hostPath), Err: d.err}
		}
		var st unix.Stat_t
		if err := unix.Fstatat(d.fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil, &fs.PathError{Op: "stat", Path: filepath.Join(r.dir, hostPath), Err: err}
		}
		fi = newStatInfo(base, &st)
	} else {
		realDir, err := sc.realDir(dir)
		if err != nil {
			return nil, err
		}
		if fi, err = os.Lstat(filepath.Join(realDir, base)); err != nil {
			return nil, err
		}
	}
	if follow && fi.Mode()&fs.ModeSymlink != 0 {
		return r.Stat(hostPath)
	}
	return fi, nil
}

// dirFD is the scope's handle on a host directory, opening it on first use.
// A directory that cannot be opened is remembered with its error. ok is
// false once the scope is closed.
func (sc *Scope) dirFD(dir string) (dirHandle, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.closed {
		return dirHandle{}, false
	}
	if d, ok := sc.dirFDs[dir]; ok {
		return d, true
	}
	fd, _, err := sc.root.openFD(dir, unix.O_PATH|unix.O_DIRECTORY)
	var d dirHandle
	if err != nil {
		// The error is reported for the file asked about, not the directory.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		d = dirHandle{fd: -1, err: err}
	} else {
		d = dirHandle{fd: fd}
	}
	if sc.dirFDs == nil {
		sc.dirFDs = map[string]dirHandle{}
	}
	sc.dirFDs[dir] = d
	return d, true
}

// realDir resolves a host directory by hand, once per scope.
func (sc *Scope) realDir(dir string) (string, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if d, ok := sc.dirs[dir]; ok {
		return d, nil
	}
	d, err := sc.root.Resolve(dir)
	if err != nil {
		return "", err
	}
	if sc.dirs == nil {
		sc.dirs = map[string]string{}
	}
	sc.dirs[dir] = d
	return d, nil
}
