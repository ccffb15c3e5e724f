package kmod

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// View is one scrape's reading of the host. Several collectors need the
// same files (the running release, the kernel configuration, the iptables
// backend, the rulesets): through a View each is read once per scrape, by
// whichever collector asks first, and it is safe to share between
// collectors running side by side. A View is never reused: the next scrape
// takes a new one and reads afresh.
type View struct {
	host      *Host
	kernel    func() (Kernel, error)
	config    func() (kernelConfigRead, error)
	backend   func() string
	memory    func() (Memory, error)
	conntrack func() (Conntrack, error)

	mu       sync.Mutex
	rulesets map[string]rulesetRead
	xtables  map[string]xtablesRead

	// Each directory a stat goes through is opened (or resolved) once per
	// view; a file is then one fstatat. The handles are closed when the
	// last user releases the view, never under a collector still using it.
	dirMu  sync.Mutex
	dirFDs map[string]dirHandle // host dir -> handle inside the root (openat2)
	dirs   map[string]string    // host dir -> real dir (resolving by hand)
	refs   atomic.Int32
	closed bool
}

type dirHandle struct {
	fd  int
	err error
}

type kernelConfigRead struct {
	config KernelConfig
	source string
	ok     bool
}

type xtablesRead struct {
	xtables Xtables
	err     error
}

type rulesetRead struct {
	ruleset Ruleset
	exists  bool
	err     error
}

// View starts one scrape's reading of the host.
func (h *Host) View() *View {
	v := &View{host: h}
	v.refs.Store(1)
	v.kernel = sync.OnceValues(func() (Kernel, error) { return h.readKernel(v) })
	v.config = sync.OnceValues(func() (kernelConfigRead, error) {
		k, err := v.Kernel()
		if err != nil {
			return kernelConfigRead{}, err
		}
		c, source, ok, err := h.kernelConfig(v, k.Release)
		return kernelConfigRead{c, source, ok}, err
	})
	v.backend = sync.OnceValue(func() string { return h.iptablesBackend(v) })
	v.memory = sync.OnceValues(func() (Memory, error) { return ReadMemory(h.proc) })
	v.conntrack = sync.OnceValues(func() (Conntrack, error) { return ReadConntrack(h.proc) })
	return v
}

// Kernel is Host.ReadKernel, once per view.
func (v *View) Kernel() (Kernel, error) { return v.kernel() }

// KernelConfig is Host.KernelConfig for the running release, once per view.
func (v *View) KernelConfig() (cfg KernelConfig, source string, ok bool, err error) {
	r, err := v.config()
	return r.config, r.source, r.ok, err
}

// IptablesBackend is Host.IptablesBackend, once per view.
func (v *View) IptablesBackend() string { return v.backend() }

// ReadRuleset is Host.ReadRuleset, once per view and path.
func (v *View) ReadRuleset(hostPath string) (Ruleset, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if r, ok := v.rulesets[hostPath]; ok {
		return r.ruleset, r.exists, r.err
	}
	r, exists, err := v.host.readRuleset(v, hostPath)
	if v.rulesets == nil {
		v.rulesets = map[string]rulesetRead{}
	}
	v.rulesets[hostPath] = rulesetRead{r, exists, err}
	return r, exists, err
}

// Xtables is ReadXtables of the host's /proc, once per view and family:
// the firewall and modules collectors both need it.
func (v *View) Xtables(family string) (Xtables, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if x, ok := v.xtables[family]; ok {
		return x.xtables, x.err
	}
	x, err := ReadXtables(v.host.proc, family)
	if v.xtables == nil {
		v.xtables = map[string]xtablesRead{}
	}
	v.xtables[family] = xtablesRead{x, err}
	return x, err
}

// Memory is the host's memory pressure and availability, once per view.
func (v *View) Memory() (Memory, error) { return v.memory() }

// Conntrack is the host's connection tracking table, once per view.
func (v *View) Conntrack() (Conntrack, error) { return v.conntrack() }

// IptablesVersion is Host.IptablesVersion through the view.
func (v *View) IptablesVersion() (version string, ok bool, err error) {
	return v.host.iptablesVersion(v)
}

// Retain keeps the view's handles open for one more user; each Retain needs
// a Release.
func (v *View) Retain() { v.refs.Add(1) }

// Release ends one use of the view (the creator's included); the last
// closes its directory handles.
func (v *View) Release() {
	if v.refs.Add(-1) != 0 {
		return
	}
	v.dirMu.Lock()
	defer v.dirMu.Unlock()
	for _, d := range v.dirFDs {
		if d.err == nil {
			unix.Close(d.fd)
		}
	}
	v.dirFDs, v.closed = nil, true
}

// fileReader is how the readers stat host files and read links: straight
// through the Root, or through a View.
type fileReader interface {
	stat(hostPath string) (fs.FileInfo, error)
	lstat(hostPath string) (fs.FileInfo, error)
	readlink(hostPath string) (string, error)
}

func (r Root) stat(p string) (fs.FileInfo, error)   { return r.Stat(p) }
func (r Root) lstat(p string) (fs.FileInfo, error)  { return r.Lstat(p) }
func (r Root) readlink(p string) (string, error)    { return r.Readlink(p) }
func (v *View) readlink(p string) (string, error)   { return v.host.root.Readlink(p) }
func (v *View) stat(p string) (fs.FileInfo, error)  { return v.statAt(p, true) }
func (v *View) lstat(p string) (fs.FileInfo, error) { return v.statAt(p, false) }

// statAt stats a host path through the root, following a final link as the
// host would when follow is set. With openat2 each directory is opened once
// inside the root and a file costs one fstatat; otherwise each directory is
// resolved once by hand and a file costs one lstat. A final link takes the
// full in-root resolution.
func (v *View) statAt(hostPath string, follow bool) (fs.FileInfo, error) {
	r := v.host.root
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
		d, ok := v.dirFD(dir)
		if !ok {
			return r.Stat(hostPath) // the view was released: no handles to share
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
		realDir, err := v.realDir(dir)
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

// dirFD is the view's handle on a host directory, opening it on first use.
// A directory that cannot be opened is remembered with its error. ok is
// false once the view is released.
func (v *View) dirFD(dir string) (dirHandle, bool) {
	v.dirMu.Lock()
	defer v.dirMu.Unlock()
	if v.closed {
		return dirHandle{}, false
	}
	if d, ok := v.dirFDs[dir]; ok {
		return d, true
	}
	fd, _, err := v.host.root.openFD(dir, unix.O_PATH|unix.O_DIRECTORY)
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
	if v.dirFDs == nil {
		v.dirFDs = map[string]dirHandle{}
	}
	v.dirFDs[dir] = d
	return d, true
}

// realDir resolves a host directory by hand, once per view.
func (v *View) realDir(dir string) (string, error) {
	v.dirMu.Lock()
	defer v.dirMu.Unlock()
	if d, ok := v.dirs[dir]; ok {
		return d, nil
	}
	d, err := v.host.root.Resolve(dir)
	if err != nil {
		return "", err
	}
	if v.dirs == nil {
		v.dirs = map[string]string{}
	}
	v.dirs[dir] = d
	return d, nil
}
