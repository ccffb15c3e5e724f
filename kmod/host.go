package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
)

// Bounds on what one file may hold; they are far above any real host's and
// keep a hostile file from exhausting memory.
const (
	maxConfigFile = 4 << 20  // one modprobe.d or modules-load.d file
	maxIndexFile  = 16 << 20 // modules.dep, modules.alias, /proc/modules (amd64's largest, modules.alias, is 1.3 MiB)
	maxTreeFiles  = 200000   // files walked under /lib/modules/<release>
)

// Paths says where the host's filesystems are mounted on this machine.
type Paths struct {
	Proc string // the host's /proc
	Sys  string // the host's /sys
	Root string // the host's /
}

// Host reads one host's module state. It is safe for concurrent use; parsed
// index files and module headers are cached while their files are unchanged.
type Host struct {
	proc, sys hostfs.Dir
	root      hostfs.Root

	depCache          hostfs.Cache[*ModulesDep]
	aliasCache        hostfs.Cache[*AliasIndex]
	builtinCache      hostfs.Cache[map[string]bool]
	builtinAliasCache hostfs.Cache[[]Alias]
	modinfoCache      hostfs.Cache[ModInfo]
	kconfigCache      hostfs.Cache[KernelConfig]
	dpkgCache         hostfs.Cache[map[string]string]
	protocolsCache    hostfs.Cache[map[int]string]
	rulesetCache      hostfs.Cache[Ruleset]
	confCache         hostfs.Cache[confParse]
	sourceCache       hostfs.Cache[any] // the firewall managers' files, by source and path
	trees             hostfs.TreeCache
	loaded            loadedCache
	depPaths          depPaths
	filesAsked        atomic.Int32 // module files the last snapshot looked for
	lookupsAsked      atomic.Int32 // names the last snapshot resolved
	directivesRead    atomic.Int32 // modprobe.d directives the last snapshot read

	lastMu sync.Mutex
	last   *Snapshot // the one the next scrape may take again (see reuse)
}

// NewHost returns a Host reading the filesystems at p.
func NewHost(p Paths) *Host {
	return &Host{
		proc: hostfs.NewDir(p.Proc), sys: hostfs.NewDir(p.Sys), root: hostfs.NewRoot(p.Root),
		trees: hostfs.TreeCache{MaxEntries: maxTreeFiles},
	}
}

// NotApplicable reports an error that means "this host does not have the
// thing" (no such file or directory) rather than a failure to read it.
func NotApplicable(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// readCached reads and parses an index file under the root, reusing the last
// parse while the file is unchanged. A missing file yields the zero value
// and ok=false without error.
func readCached[T any](v *View, c *hostfs.Cache[T], hostPath string, limit int64, parse func([]byte) (T, error)) (value T, ok bool, err error) {
	fi, err := v.files.Stat(hostPath)
	if err != nil {
		if NotApplicable(err) {
			return value, false, nil
		}
		return value, false, err
	}
	root := v.host.root
	value, err = c.Get(hostPath, fi, func() (T, fs.FileInfo, error) {
		data, fi, err := root.ReadFile(hostPath, limit)
		if err != nil {
			var zero T
			return zero, nil, err
		}
		parsed, err := parse(data)
		if err != nil {
			err = fmt.Errorf("%s: %w", filepath.Join(root.Dir(), hostPath), err)
		}
		return parsed, fi, err
	})
	return value, err == nil, err
}
