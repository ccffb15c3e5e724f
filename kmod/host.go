package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
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
	proc, sys string
	root      Root

	depCache          fileCache[ModulesDep]
	aliasCache        fileCache[*AliasIndex]
	builtinCache      fileCache[map[string]bool]
	builtinAliasCache fileCache[[]Alias]
	modinfoCache      fileCache[ModInfo]
	kconfigCache      fileCache[KernelConfig]
	dpkgCache         fileCache[string]
	rulesetCache      fileCache[Ruleset]
}

// NewHost returns a Host reading the filesystems at p.
func NewHost(p Paths) *Host {
	return &Host{proc: filepath.Clean(p.Proc), sys: filepath.Clean(p.Sys), root: NewRoot(p.Root)}
}

// Root is the host's root filesystem.
func (h *Host) Root() Root { return h.root }

// NotApplicable reports an error that means "this host does not have the
// thing" (no such file or directory) rather than a failure to read it.
func NotApplicable(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Kernel is the running kernel and the module trees installed for kernels.
type Kernel struct {
	Release string
	// ModuleSupport is false when /proc/modules does not exist: the kernel
	// was built without CONFIG_MODULES and only built-in code can run.
	ModuleSupport bool
	// ModulesDir is /lib/modules/<release>; ModulesDirPresent whether it
	// exists, ModulesDepPresent whether depmod has written modules.dep there.
	ModulesDir        string
	ModulesDirPresent bool
	ModulesDepPresent bool
	ModulesDepModTime time.Time
	// Trees are the releases that have a directory under /lib/modules.
	Trees []string
}

// ReadKernel reads the running release and the installed module trees.
func (h *Host) ReadKernel() (Kernel, error) {
	var k Kernel
	data, _, err := readRegular(filepath.Join(h.proc, "sys/kernel/osrelease"), 4096)
	if err != nil {
		return k, fmt.Errorf("running kernel release: %w", err)
	}
	k.Release = strings.TrimSpace(string(data))
	if k.Release == "" || strings.ContainsAny(k.Release, "/\x00") {
		return k, fmt.Errorf("running kernel release %q from %s is not a release name", k.Release, filepath.Join(h.proc, "sys/kernel/osrelease"))
	}
	_, err = os.Stat(filepath.Join(h.proc, "modules"))
	switch {
	case err == nil:
		k.ModuleSupport = true
	case !NotApplicable(err):
		return k, err
	}
	k.ModulesDir = path.Join("/lib/modules", k.Release)
	if fi, err := h.root.Stat(k.ModulesDir); err == nil && fi.IsDir() {
		k.ModulesDirPresent = true
	}
	if fi, err := h.root.Stat(path.Join(k.ModulesDir, "modules.dep")); err == nil && fi.Mode().IsRegular() {
		k.ModulesDepPresent = true
		k.ModulesDepModTime = fi.ModTime()
	}
	entries, err := h.root.ReadDir("/lib/modules")
	if err != nil && !NotApplicable(err) {
		return k, err
	}
	for _, e := range entries {
		if fi, err := h.root.Stat(path.Join("/lib/modules", e.Name())); err == nil && fi.IsDir() {
			k.Trees = append(k.Trees, e.Name())
		}
	}
	return k, nil
}

// readCached reads and parses an index file under the root, reusing the last
// parse while the file is unchanged. A missing file yields the zero value
// and ok=false without error.
func readCached[T any](h *Host, c *fileCache[T], hostPath string, limit int64, parse func([]byte) (T, error)) (v T, ok bool, err error) {
	fi, err := h.root.Stat(hostPath)
	if err != nil {
		if NotApplicable(err) {
			return v, false, nil
		}
		return v, false, err
	}
	v, err = c.get(hostPath, fi, func() (T, fs.FileInfo, error) {
		data, fi, err := h.root.ReadFile(hostPath, limit)
		if err != nil {
			var zero T
			return zero, nil, err
		}
		v, err := parse(data)
		if err != nil {
			err = fmt.Errorf("%s: %w", filepath.Join(h.root.dir, hostPath), err)
		}
		return v, fi, err
	})
	return v, err == nil, err
}

// Snapshot is everything read from the host in one scrape. Its methods
// answer questions about modules without reading more than the module files
// they concern.
type Snapshot struct {
	Kernel
	Loaded map[string]LoadedModule

	host           *Host
	dep            ModulesDep
	builtin        map[string]bool
	aliases        *AliasIndex
	builtinAliases []Alias
	Modprobe       []Directive
	BadLines       []BadLine
	Cmdline        string
	Params         []KernelParam
	kmodBlacklist  []string
	kernelBlack    []string
	Boot           []BootEntry
	// Skipped lists configuration entries passed over (directories where a
	// file should be, devices), as "path: why", for the debug log.
	Skipped []string

	trees   map[string]map[string]string // release dir -> module -> host path, from walking it
	treeErr error
	// readModules are the module files this snapshot read headers of.
	readModules map[string]bool
	// When the running release has no tree, names are resolved through the
	// newest installed tree's index (aliases do not change between
	// releases); nothing else of that tree counts for the running kernel.
	fallbackNames   ModulesDep
	fallbackAliases *AliasIndex

	memo memo
}

// Snapshot reads the host. A non-nil error means part of the state could
// not be read; the snapshot is still usable for the rest.
func (h *Host) Snapshot() (*Snapshot, error) {
	var errs []error
	k, err := h.ReadKernel()
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Kernel: k, host: h, Loaded: map[string]LoadedModule{}}

	if k.ModuleSupport {
		data, _, err := readRegular(filepath.Join(h.proc, "modules"), maxIndexFile)
		if err != nil {
			errs = append(errs, err)
		} else if s.Loaded, err = ParseProcModules(data); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Join(h.proc, "modules"), err))
		}
	}

	dir := k.ModulesDir
	if s.dep, _, err = readCached(h, &h.depCache, path.Join(dir, "modules.dep"), maxIndexFile, ParseModulesDep); err != nil {
		errs = append(errs, err)
	}
	if s.builtin, _, err = readCached(h, &h.builtinCache, path.Join(dir, "modules.builtin"), maxIndexFile, func(b []byte) (map[string]bool, error) { return ParseModulesBuiltin(b), nil }); err != nil {
		errs = append(errs, err)
	}
	if s.aliases, _, err = readCached(h, &h.aliasCache, path.Join(dir, "modules.alias"), maxIndexFile, parseAliasIndex); err != nil {
		errs = append(errs, err)
	}
	if s.builtinAliases, _, err = readCached(h, &h.builtinAliasCache, path.Join(dir, "modules.builtin.modinfo"), maxIndexFile, func(b []byte) ([]Alias, error) { return ParseBuiltinModinfo(b), nil }); err != nil {
		errs = append(errs, err)
	}
	if !k.ModulesDirPresent && len(k.Trees) > 0 {
		other := path.Join("/lib/modules", k.Trees[len(k.Trees)-1])
		s.fallbackNames, _, _ = readCached(h, &h.depCache, path.Join(other, "modules.dep"), maxIndexFile, ParseModulesDep)
		s.fallbackAliases, _, _ = readCached(h, &h.aliasCache, path.Join(other, "modules.alias"), maxIndexFile, parseAliasIndex)
	}

	cmdlinePath := filepath.Join(h.proc, "cmdline")
	if data, _, err := readRegular(cmdlinePath, 1<<20); err == nil {
		// procfs splits the command line on spaces and so loses quoting;
		// the kernel's and kmod's parsers need the raw line.
		s.Cmdline = strings.TrimRight(string(data), "\n\x00")
		s.Params = KernelParams(s.Cmdline)
		s.kernelBlack = KernelModuleBlacklist(s.Params)
	} else if !NotApplicable(err) {
		errs = append(errs, err)
	}

	skipped := func(p, why string) { s.Skipped = append(s.Skipped, p+": "+why) }
	files, err := listConfFiles(h.root, ModprobeDirs, func(n string) bool {
		return strings.HasSuffix(n, ".conf") || strings.HasSuffix(n, ".alias")
	}, skipped)
	if err != nil {
		errs = append(errs, err)
	}
	// kmod reads depmod's modules.softdep as one more configuration file,
	// sorted by its name among the others: "aaa.conf" comes before it and
	// "zzz.conf" after, which decides whose softdep line matches first.
	if k.ModulesDirPresent {
		files = insertConfFile(files, confFile{Name: "modules.softdep", Path: path.Join(dir, "modules.softdep")})
	}
	for _, f := range files {
		data, ok, err := h.readConf(f.Path, skipped)
		if err != nil {
			errs = append(errs, err)
		}
		if !ok {
			continue
		}
		dirs, bad := ParseModprobeConf(data, f.Path)
		s.Modprobe = append(s.Modprobe, dirs...)
		s.BadLines = append(s.BadLines, bad...)
	}
	// Options and blacklists from the command line come last, as in kmod.
	var cmdlineOptions []Directive
	s.kmodBlacklist, cmdlineOptions = KmodCmdline(s.Cmdline)
	s.Modprobe = append(s.Modprobe, cmdlineOptions...)

	files, err = listConfFiles(h.root, ModulesLoadDirs, func(n string) bool { return strings.HasSuffix(n, ".conf") }, skipped)
	if err != nil {
		errs = append(errs, err)
	}
	for _, f := range files {
		data, ok, err := h.readConf(f.Path, skipped)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			s.Boot = append(s.Boot, ParseModulesLoad(data, f.Path)...)
		}
	}
	if data, ok, err := h.readConf("/etc/modules", skipped); err != nil {
		errs = append(errs, err)
	} else if ok {
		s.Boot = append(s.Boot, ParseEtcModules(data, "/etc/modules")...)
	}
	for _, m := range CmdlineModulesLoad(s.Params) {
		s.Boot = append(s.Boot, BootEntry{Name: m, Path: "/proc/cmdline", Line: 1})
	}
	return s, errors.Join(errs...)
}

// readConf reads a configuration file. A missing file, a link to /dev/null
// (systemd's way of masking a file) and devices or FIFOs (which the tools
// would block on) are "no content", not errors.
func (h *Host) readConf(hostPath string, skipped func(p, why string)) ([]byte, bool, error) {
	if target, err := h.root.Readlink(hostPath); err == nil && target == "/dev/null" {
		return nil, false, nil
	}
	data, _, err := h.root.ReadFile(hostPath, maxConfigFile)
	switch {
	case err == nil:
		return data, true, nil
	case NotApplicable(err):
		return nil, false, nil
	case errors.Is(err, ErrNotRegular):
		skipped(hostPath, "not a regular file")
		return nil, false, nil
	}
	return nil, false, err
}
