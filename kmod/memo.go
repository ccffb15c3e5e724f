package kmod

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// memo holds what one snapshot has already looked up, so that a scrape
// resolves and stats each path once however many modules ask. It lives only
// as long as the snapshot: the next scrape starts fresh.
type memo struct {
	dirs    map[string]string   // host dir -> real dir (resolving by hand)
	dirFDs  map[string]*os.File // host dir -> handle inside the root (openat2)
	files   map[string]moduleFile
	found   map[string]bool
	lookups map[string][]string
	boot    map[string]bool // resolved modules of the boot lists
}

// statHost stats a host path through the root, following links as the host
// would. With openat2 the kernel resolves it in one call; otherwise each
// directory is resolved once per snapshot and a final component that is not
// a link is answered by its Lstat alone.
func (s *Snapshot) statHost(hostPath string) (fs.FileInfo, error) {
	if s.host.root.dir == "/" {
		return os.Stat(hostPath)
	}
	if s.host.root.fd != nil {
		return s.statInRoot(hostPath)
	}
	if s.memo.dirs == nil {
		s.memo.dirs = map[string]string{}
	}
	dir, base := path.Split(path.Clean("/" + hostPath))
	realDir, ok := s.memo.dirs[dir]
	if !ok {
		var err error
		if realDir, err = s.host.root.Resolve(dir); err != nil {
			return nil, err
		}
		s.memo.dirs[dir] = realDir
	}
	fi, err := os.Lstat(filepath.Join(realDir, base))
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return fi, err
	}
	return s.host.root.Stat(hostPath)
}

// statInRoot opens each directory once per snapshot inside the root, then
// answers a file with one fstatat; a link takes the full in-root path.
func (s *Snapshot) statInRoot(hostPath string) (fs.FileInfo, error) {
	dir, base := path.Split(path.Clean("/" + hostPath))
	d, ok := s.memo.dirFDs[dir]
	if !ok {
		var err error
		if d, err = s.host.root.open(dir, unix.O_PATH|unix.O_DIRECTORY); err != nil {
			return nil, err
		}
		if s.memo.dirFDs == nil {
			s.memo.dirFDs = map[string]*os.File{}
		}
		s.memo.dirFDs[dir] = d
	}
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.Fd()), base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: filepath.Join(s.host.root.dir, hostPath), Err: err}
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
		return s.host.root.Stat(hostPath)
	}
	return statInfo{name: base, st: st}, nil
}

// closeDirs releases the directory handles of the snapshot.
func (m *memo) closeDirs() {
	for _, d := range m.dirFDs {
		d.Close()
	}
	m.dirFDs = nil
}

// statInfo is an fs.FileInfo from a stat_t, with the stat_t as Sys() so
// the caches can identify the file.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (i statInfo) Name() string       { return i.name }
func (i statInfo) Size() int64        { return i.st.Size }
func (i statInfo) ModTime() time.Time { return time.Unix(i.st.Mtim.Sec, i.st.Mtim.Nsec) }
func (i statInfo) IsDir() bool        { return i.Mode().IsDir() }
func (i statInfo) Sys() any           { return &i.st }
func (i statInfo) Mode() fs.FileMode {
	mode := fs.FileMode(i.st.Mode & 0o777)
	switch i.st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		mode |= fs.ModeDir
	case syscall.S_IFLNK:
		mode |= fs.ModeSymlink
	case syscall.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		mode |= fs.ModeSocket
	case syscall.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		mode |= fs.ModeDevice
	}
	return mode
}
