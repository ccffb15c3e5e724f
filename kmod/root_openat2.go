package kmod

import (
	"errors"
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

// open opens a host path inside the root with the given flags.
func (r Root) open(p string, flags int) (*os.File, error) {
	p = path.Clean("/" + p)
	name := filepath.Join(r.dir, p)
	if r.fd == nil {
		real, err := r.Resolve(p)
		if err != nil {
			return nil, err
		}
		if flags&unix.O_PATH != 0 {
			return os.OpenFile(real, flags|unix.O_CLOEXEC, 0)
		}
		return os.OpenFile(real, flags, 0)
	}
	rel := p[1:]
	if rel == "" {
		rel = "."
	}
	for {
		fd, err := unix.Openat2(int(r.fd.Fd()), rel, &unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: inRoot})
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
			continue // the kernel asks to retry when a rename raced the lookup
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}

// Stat follows links like stat(2) on the host.
func (r Root) Stat(p string) (fs.FileInfo, error) {
	if r.fd == nil {
		real, err := r.Resolve(p)
		if err != nil {
			return nil, err
		}
		return os.Stat(real)
	}
	f, err := r.open(p, unix.O_PATH)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Stat()
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
	dir, err := r.open(path.Dir(p), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return "", err
	}
	defer dir.Close()
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(int(dir.Fd()), path.Base(p), buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: filepath.Join(r.dir, p), Err: err}
	}
	return string(buf[:n]), nil
}

// ReadFile reads a regular host file of at most limit bytes.
func (r Root) ReadFile(p string, limit int64) ([]byte, fs.FileInfo, error) {
	f, err := r.open(p, os.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return readOpen(f, limit)
}

// Open opens a regular host file for reading.
func (r Root) Open(p string) (*os.File, error) {
	return r.open(p, os.O_RDONLY|syscall.O_NONBLOCK)
}
