package hostfs

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"syscall"

	"golang.org/x/sys/unix"
)

// inRoot asks the kernel to resolve a path as if the root's directory were
// "/" (openat2 RESOLVE_IN_ROOT, Linux 5.6+): the same rule Resolve follows
// by hand, in one system call instead of one per path component.
const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// openRootDir opens the root for openat2, or returns nil where the kernel
// (or a seccomp filter) does not offer it; Root then resolves by hand.
func openRootDir(dir string) *os.File {
	if dir == "/" {
		return nil // the host's own paths need no resolving
	}
	f, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	fd, err := unix.Openat2(int(f.Fd()), ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: inRoot})
	if err != nil {
		f.Close()
		return nil
	}
	unix.Close(fd)
	return f
}

// openFD opens a host path inside the root with the given flags, returning
// the descriptor and the file's name on this machine (for errors).
func (r Root) openFD(p string, flags int) (int, string, error) {
	r.ask()
	p = path.Clean("/" + p)
	name := filepath.Join(r.dir, p)
	if r.fd == nil {
		real, err := r.Resolve(p)
		if err != nil {
			return -1, name, err
		}
		fd, err := openRetry(func() (int, error) { return unix.Open(real, flags|unix.O_CLOEXEC, 0) })
		if err != nil {
			return -1, name, &fs.PathError{Op: "open", Path: real, Err: err}
		}
		return fd, name, nil
	}
	rel := p[1:]
	if rel == "" {
		rel = "."
	}
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: inRoot}
	fd, err := openRetry(func() (int, error) { return unix.Openat2(int(r.fd.Fd()), rel, &how) })
	if err != nil {
		return -1, name, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return fd, name, nil
}

// open is openFD as an *os.File, for readers that need one.
func (r Root) open(p string, flags int) (*os.File, error) {
	fd, name, err := r.openFD(p, flags)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Stat follows links like stat(2) on the host.
func (r Root) Stat(p string) (fs.FileInfo, error) {
	if r.fd == nil {
		r.ask()
		real, err := r.Resolve(p)
		if err != nil {
			return nil, err
		}
		return os.Stat(real)
	}
	return r.statFD(p, unix.O_PATH, "stat")
}

// Lstat is Stat without following a final link, like lstat(2) on the host.
func (r Root) Lstat(p string) (fs.FileInfo, error) {
	if r.fd == nil {
		r.ask()
		real, err := r.Resolve(path.Dir(path.Clean("/" + p)))
		if err != nil {
			return nil, err
		}
		return os.Lstat(filepath.Join(real, path.Base(p)))
	}
	return r.statFD(p, unix.O_PATH|unix.O_NOFOLLOW, "lstat")
}

// statFD stats a path opened inside the root with flags.
func (r Root) statFD(p string, flags int, op string) (fs.FileInfo, error) {
	fd, name, err := r.openFD(p, flags)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return newStatInfo(path.Base(p), &st), nil
}

// ReadDir lists a host directory, sorted by name.
func (r Root) ReadDir(p string) ([]fs.DirEntry, error) {
	f, err := r.open(p, os.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries, err
}

// Readlink returns the target of a link without following it.
func (r Root) Readlink(p string) (string, error) {
	p = path.Clean("/" + p)
	dir, _, err := r.openFD(path.Dir(p), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return "", err
	}
	defer unix.Close(dir)
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(dir, path.Base(p), buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: filepath.Join(r.dir, p), Err: err}
	}
	return string(buf[:n]), nil
}

// ReadFile reads a regular host file of at most limit bytes.
func (r Root) ReadFile(p string, limit int64) ([]byte, fs.FileInfo, error) {
	fd, name, err := r.openFD(p, os.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	return readFD(fd, name, limit)
}

// Open opens a regular host file for reading.
func (r Root) Open(p string) (*os.File, error) {
	return r.open(p, os.O_RDONLY|syscall.O_NONBLOCK)
}

// ByHand is the root resolving every path by hand, as on kernels without
// openat2: both ways must give the same answers.
func (r Root) ByHand() Root {
	r.fd, r.memo = nil, nil // nothing kept from the kernel's answers
	return r
}

// InKernel reports whether the kernel resolves paths inside the root
// (openat2); otherwise they are resolved by hand.
func (r Root) InKernel() bool { return r.fd != nil }

// Readable reports why a host file or directory cannot be opened for
// reading, or nil if it can.
func (r Root) Readable(p string) error {
	fd, _, err := r.openFD(p, os.O_RDONLY|syscall.O_NONBLOCK)
	if err == nil {
		unix.Close(fd)
	}
	return err
}
