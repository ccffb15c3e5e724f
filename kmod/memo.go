package kmod

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// memo holds what one snapshot has already looked up, so that a scrape
// resolves and stats each path once however many modules ask. It lives only
// as long as the snapshot: the next scrape starts fresh.
type memo struct {
	dirs    map[string]string // host dir -> real dir
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
	if s.host.root.fd != nil || s.host.root.dir == "/" {
		return s.host.root.Stat(hostPath)
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
