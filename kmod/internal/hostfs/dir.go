package hostfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/prometheus/procfs"
)

// Dir is a kernel filesystem mounted on this machine (the host's /proc or
// /sys). Its paths are read as they are: the kernel makes its own links
// (/proc/net is /proc/self/net), which must not be resolved inside it.
type Dir string

// NewDir returns the Dir at a path on this machine.
func NewDir(p string) Dir { return Dir(filepath.Clean(p)) }

// Path is the path on this machine of rel under the directory.
func (d Dir) Path(rel string) string { return filepath.Join(string(d), rel) }

// ReadFile reads a regular file of at most limit bytes as openRead
// does, keeping it open for the next read (see keptFile).
func (d Dir) ReadFile(rel string, limit int64) ([]byte, fs.FileInfo, error) {
	return readKept(d.Path(rel), limit)
}

// Stat follows links like stat(2).
func (d Dir) Stat(rel string) (fs.FileInfo, error) { return os.Stat(d.Path(rel)) }

// Open opens a file for reading without blocking on a FIFO.
func (d Dir) Open(rel string) (*os.File, error) {
	return os.OpenFile(d.Path(rel), os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// Procfs is the procfs library's view of the directory, for the files
// whose parsers it already has (conntrack statistics): those reads, too, go
// through the file layer's path and nowhere else. It is made once per
// directory: making one stats the directory and its filesystem, twice a
// scrape for nothing.
func (d Dir) Procfs() (procfs.FS, error) {
	if fs, ok := procfsViews.Load(d); ok {
		return fs.(procfs.FS), nil
	}
	fs, err := procfs.NewFS(string(d))
	if err == nil {
		procfsViews.Store(d, fs)
	}
	return fs, err
}

// procfsViews are the procfs views made, by directory.
var procfsViews sync.Map
