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

	depCache          fileCache[*ModulesDep]
	aliasCache        fileCache[*AliasIndex]
	builtinCache      fileCache[map[string]bool]
	builtinAliasCache fileCache[[]Alias]
	modinfoCache      fileCache[ModInfo]
	kconfigCache      fileCache[KernelConfig]
	dpkgCache         fileCache[string]
	rulesetCache      fileCache[Ruleset]
	confCache         fileCache[confParse]
	trees             treeCache
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
func (h *Host) ReadKernel() (Kernel, error) { return h.readKernel(h.root) }

func (h *Host) readKernel(files fileReader) (Kernel, error) {
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
	if fi, err := files.stat(k.ModulesDir); err == nil && fi.IsDir() {
		k.ModulesDirPresent = true
	}
	if fi, err := files.stat(path.Join(k.ModulesDir, "modules.dep")); err == nil && fi.Mode().IsRegular() {
		k.ModulesDepPresent = true
		k.ModulesDepModTime = fi.ModTime()
	}
	entries, err := h.root.ReadDir("/lib/modules")
	if err != nil && !NotApplicable(err) {
		return k, err
	}
	for _, e := range entries {
		if fi, err := files.stat(path.Join("/lib/modules", e.Name())); err == nil && fi.IsDir() {
			k.Trees = append(k.Trees, e.Name())
		}
	}
	return k, nil
}

// readCached reads and parses an index file under the root, reusing the last
// parse while the file is unchanged. A missing file yields the zero value
// and ok=false without error.
func readCached[T any](h *Host, files fileReader, c *fileCache[T], hostPath string, limit int64, parse func([]byte) (T, error)) (v T, ok bool, err error) {
	fi, err := files.stat(hostPath)
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
	view           *View
	ownsView       bool
	dep            *ModulesDep
	builtin        map[string]bool
	aliases        *heldAliases
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
	walked  map[string]bool              // the real directories of trees
	treeErr error
	// readModules are the module files this snapshot read headers of.
	readModules map[string]bool
	// When the running release has no tree, names are resolved through the
	// newest installed tree's index (aliases do not change between
	// releases); nothing else of that tree counts for the running kernel.
	fallbackNames   *ModulesDep
	fallbackAliases *AliasIndex

	memo memo
}

// Snapshot reads the host through a view of its own, which the snapshot's
// Done releases. A non-nil error means part of the state could not be
// read; the snapshot is still usable for the rest.
func (h *Host) Snapshot() (*Snapshot, error) {
	v := h.View()
	s, err := v.Snapshot()
	if s == nil {
		v.Release()
		return nil, err
	}
	s.ownsView = true
	return s, err
}

// Snapshot reads the host's module state, sharing the view's reads.
func (v *View) Snapshot() (*Snapshot, error) {
	h := v.host
	var errs []error
	k, err := v.Kernel()
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Kernel: k, host: h, view: v, Loaded: map[string]LoadedModule{}}

	if k.ModuleSupport {
		data, _, err := readRegular(filepath.Join(h.proc, "modules"), maxIndexFile)
		if err != nil {
			errs = append(errs, err)
		} else if s.Loaded, err = ParseProcModules(data); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Join(h.proc, "modules"), err))
		}
	}

	dir := k.ModulesDir
	if s.dep, _, err = readCached(h, v, &h.depCache, path.Join(dir, "modules.dep"), maxIndexFile, ParseModulesDep); err != nil {
		errs = append(errs, err)
	}
	if s.builtin, _, err = readCached(h, v, &h.builtinCache, path.Join(dir, "modules.builtin"), maxIndexFile, func(b []byte) (map[string]bool, error) { return ParseModulesBuiltin(b), nil }); err != nil {
		errs = append(errs, err)
	}
	if s.aliases, err = h.aliasesOf(v, path.Join(dir, "modules.alias")); err != nil {
		errs = append(errs, err)
	}
	if s.builtinAliases, _, err = readCached(h, v, &h.builtinAliasCache, path.Join(dir, "modules.builtin.modinfo"), maxIndexFile, func(b []byte) ([]Alias, error) { return ParseBuiltinModinfo(b), nil }); err != nil {
		errs = append(errs, err)
	}
	if !k.ModulesDirPresent && len(k.Trees) > 0 {
		other := path.Join("/lib/modules", k.Trees[len(k.Trees)-1])
		s.fallbackNames, _, _ = readCached(h, v, &h.depCache, path.Join(other, "modules.dep"), maxIndexFile, ParseModulesDep)
		s.fallbackAliases, _, _ = readCached(h, v, &h.aliasCache, path.Join(other, "modules.alias"), maxIndexFile, parseAliasIndex)
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
	confs := map[string]bool{}
	for _, f := range files {
		confs[f.Path] = true
		c, ok, err := h.readConf(v, f.Path, skipped, func(data []byte) confParse {
			dirs, bad := ParseModprobeConf(data, f.Path)
			return confParse{directives: dirs, bad: bad}
		})
		if err != nil {
			errs = append(errs, err)
		}
		if !ok {
			continue
		}
		s.Modprobe = append(s.Modprobe, c.directives...)
		s.BadLines = append(s.BadLines, c.bad...)
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
		// A file name is only ever read one way: modprobe.d takes *.conf
		// and *.alias, modules-load.d *.conf, in different directories.
		confs[f.Path] = true
		c, ok, err := h.readConf(v, f.Path, skipped, func(data []byte) confParse {
			return confParse{boot: ParseModulesLoad(data, f.Path)}
		})
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			s.Boot = append(s.Boot, c.boot...)
		}
	}
	confs["/etc/modules"] = true
	if c, ok, err := h.readConf(v, "/etc/modules", skipped, func(data []byte) confParse {
		return confParse{boot: ParseEtcModules(data, "/etc/modules")}
	}); err != nil {
		errs = append(errs, err)
	} else if ok {
		s.Boot = append(s.Boot, c.boot...)
	}
	// Files that are gone leave the cache.
	h.confCache.retain(confs)
	for _, m := range CmdlineModulesLoad(s.Params) {
		s.Boot = append(s.Boot, BootEntry{Name: m, Path: "/proc/cmdline", Line: 1})
	}
	return s, errors.Join(errs...)
}

// confParse is one configuration file as parsed.
type confParse struct {
	directives []Directive
	bad        []BadLine
	boot       []BootEntry
}

// readConf reads and parses a configuration file, reusing the last parse
// while the file is unchanged: a warm scrape only stats it. A missing file,
// a link to /dev/null (systemd's way of masking a file) and devices or
// FIFOs (which the tools would block on) are "no content", not errors.
func (h *Host) readConf(files fileReader, hostPath string, skipped func(p, why string), parse func([]byte) confParse) (confParse, bool, error) {
	fi, err := files.lstat(hostPath)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := files.readlink(hostPath); err == nil && target == "/dev/null" {
			return confParse{}, false, nil
		}
		fi, err = files.stat(hostPath)
	}
	switch {
	case err != nil && NotApplicable(err):
		return confParse{}, false, nil
	case err != nil:
		return confParse{}, false, err
	case !fi.Mode().IsRegular():
		skipped(hostPath, "not a regular file")
		return confParse{}, false, nil
	}
	c, err := h.confCache.get(hostPath, fi, func() (confParse, fs.FileInfo, error) {
		data, fi, err := h.root.ReadFile(hostPath, maxConfigFile)
		if err != nil {
			return confParse{}, nil, err
		}
		return parse(data), fi, nil
	})
	switch {
	case err == nil:
		return c, true, nil
	case NotApplicable(err):
		return confParse{}, false, nil
	case errors.Is(err, ErrNotRegular):
		skipped(hostPath, "not a regular file")
		return confParse{}, false, nil
	}
	return confParse{}, false, err
}
