package hostfs

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// statInfo is an fs.FileInfo from a stat_t, keeping only what the readers
// and the caches' file identity use: it is made for every file a scrape
// stats, so it stays small.
type statInfo struct {
	name         string
	mode         uint32
	size         int64
	mtime, ctime syscall.Timespec
	ino, dev     uint64
}

func newStatInfo(name string, st *unix.Stat_t) statInfo {
	return statInfo{name: name, mode: st.Mode, size: st.Size, mtime: syscall.Timespec(st.Mtim), ctime: syscall.Timespec(st.Ctim), ino: st.Ino, dev: st.Dev}
}

func (i statInfo) Name() string       { return i.name }
func (i statInfo) Size() int64        { return i.size }
func (i statInfo) ModTime() time.Time { return time.Unix(i.mtime.Sec, i.mtime.Nsec) }
func (i statInfo) IsDir() bool        { return i.Mode().IsDir() }
func (i statInfo) Sys() any           { return nil }
func (i statInfo) Mode() fs.FileMode {
	mode := fs.FileMode(i.mode & 0o777)
	switch i.mode & syscall.S_IFMT {
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
