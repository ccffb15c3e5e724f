package kmod

import (
	"errors"
	"fmt"
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"path"
	"strings"
)

// Snapshot is everything read from the host in one scrape. Its methods
// answer questions about modules without reading more than the module files
// they concern.
type Snapshot struct {
	Kernel
	// Loaded is shared with other snapshots that read the same
	// /proc/modules: read it, never change it.
	Loaded map[string]LoadedModule

	host           *Host
	view           *View
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

// Snapshot reads the host's module state, sharing the view's reads: one
// reader per source, each adding what it read and its errors. A non-nil
// error means part of the state could not be read; the snapshot is still
// usable for the rest.
func (v *View) Snapshot() (*Snapshot, error) {
	k, err := v.Kernel()
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Kernel: k, host: v.host, view: v, Loaded: map[string]LoadedModule{}}
	// confs are the configuration files read; the others leave the cache.
	confs := map[string]bool{}
	errs := []error{
		s.readLoaded(),
		s.readIndexes(),
		s.readCmdline(),
		s.readModprobeConf(confs),
		s.readBootLists(confs),
	}
	v.host.confCache.Retain(confs)
	return s, errors.Join(errs...)
}

// readLoaded reads /proc/modules, on kernels with module support.
func (s *Snapshot) readLoaded() error {
	if !s.ModuleSupport {
		return nil
	}
	proc := s.host.proc
	data, _, err := proc.ReadFile("modules", maxIndexFile)
	if err != nil {
		return err
	}
	if s.Loaded, err = s.host.loaded.parse(data); err != nil {
		return fmt.Errorf("%s: %w", proc.Path("modules"), err)
	}
	return nil
}

// readIndexes reads depmod's index files of the running release and, when
// it has no tree, the names of the newest installed one.
func (s *Snapshot) readIndexes() error {
	v, h, dir := s.view, s.host, s.ModulesDir
	var errs [4]error
	s.dep, _, errs[0] = readCached(v, &h.depCache, path.Join(dir, "modules.dep"), maxIndexFile, ParseModulesDep)
	s.builtin, _, errs[1] = readCached(v, &h.builtinCache, path.Join(dir, "modules.builtin"), maxIndexFile, parseModulesBuiltin)
	s.aliases, errs[2] = v.aliasesOf(path.Join(dir, "modules.alias"))
	s.builtinAliases, _, errs[3] = readCached(v, &h.builtinAliasCache, path.Join(dir, "modules.builtin.modinfo"), maxIndexFile, func(b []byte) ([]Alias, error) { return ParseBuiltinModinfo(b), nil })
	if !s.ModulesDirPresent && len(s.Trees) > 0 {
		other := path.Join("/lib/modules", s.Trees[len(s.Trees)-1])
		s.fallbackNames, _, _ = readCached(v, &h.depCache, path.Join(other, "modules.dep"), maxIndexFile, ParseModulesDep)
		s.fallbackAliases, _, _ = readCached(v, &h.aliasCache, path.Join(other, "modules.alias"), maxIndexFile, parseAliasIndex)
	}
	return errors.Join(errs[:]...)
}

// readCmdline reads the kernel command line and the blacklists on it.
func (s *Snapshot) readCmdline() error {
	data, _, err := s.host.proc.ReadFile("cmdline", 1<<20)
	if err != nil {
		if NotApplicable(err) {
			return nil
		}
		return err
	}
	// procfs splits the command line on spaces and so loses quoting; the
	// kernel's and kmod's parsers need the raw line.
	s.Cmdline = strings.TrimRight(string(data), "\n\x00")
	s.Params = KernelParams(s.Cmdline)
	s.kernelBlack = KernelModuleBlacklist(s.Params)
	return nil
}

// skipped records a configuration entry passed over, for the debug log.
func (s *Snapshot) skipped(p, why string) { s.Skipped = append(s.Skipped, p+": "+why) }

// readModprobeConf reads modprobe.d as kmod does, then the options and
// blacklists of the command line, which come last.
func (s *Snapshot) readModprobeConf(confs map[string]bool) error {
	files, err := hostfs.ListConfFiles(s.view.files, ModprobeDirs, func(n string) bool {
		return strings.HasSuffix(n, ".conf") || strings.HasSuffix(n, ".alias")
	}, s.skipped)
	errs := []error{err}
	// kmod reads depmod's modules.softdep as one more configuration file,
	// sorted by its name among the others: "aaa.conf" comes before it and
	// "zzz.conf" after, which decides whose softdep line matches first.
	if s.ModulesDirPresent {
		files = hostfs.InsertConfFile(files, hostfs.ConfFile{Name: "modules.softdep", Path: path.Join(s.ModulesDir, "modules.softdep")})
	}
	s.Modprobe = make([]Directive, 0, s.host.directivesRead.Load())
	defer func() { s.host.directivesRead.Store(int32(len(s.Modprobe))) }()
	for _, f := range files {
		confs[f.Path] = true
		c, ok, err := s.view.readConf(f.Path, s.skipped, func(data []byte) confParse {
			dirs, bad := ParseModprobeConf(data, f.Path)
			return confParse{directives: dirs, bad: bad}
		})
		errs = append(errs, err)
		if ok {
			s.Modprobe = append(s.Modprobe, c.directives...)
			s.BadLines = append(s.BadLines, c.bad...)
		}
	}
	var cmdlineOptions []Directive
	s.kmodBlacklist, cmdlineOptions = KmodCmdline(s.Cmdline)
	s.Modprobe = append(s.Modprobe, cmdlineOptions...)
	return errors.Join(errs...)
}

// readBootLists reads what is loaded at boot: modules-load.d, Debian's
// /etc/modules and the command line's modules-load=, in that order.
func (s *Snapshot) readBootLists(confs map[string]bool) error {
	files, err := hostfs.ListConfFiles(s.view.files, ModulesLoadDirs, func(n string) bool { return strings.HasSuffix(n, ".conf") }, s.skipped)
	errs := []error{err}
	// A file name is only ever read one way: modprobe.d takes *.conf and
	// *.alias, modules-load.d *.conf, in different directories.
	files = append(files, hostfs.ConfFile{Path: "/etc/modules"})
	for _, f := range files {
		parse := ParseModulesLoad
		if f.Path == "/etc/modules" {
			parse = ParseEtcModules
		}
		confs[f.Path] = true
		c, ok, err := s.view.readConf(f.Path, s.skipped, func(data []byte) confParse {
			return confParse{boot: parse(data, f.Path)}
		})
		errs = append(errs, err)
		if ok {
			s.Boot = append(s.Boot, c.boot...)
		}
	}
	for _, m := range CmdlineModulesLoad(s.Params) {
		s.Boot = append(s.Boot, BootEntry{Name: m, Path: cmdlinePath, Line: 1})
	}
	return errors.Join(errs...)
}

// Done ends the snapshot: headers cached for module files it did not read
// are dropped, so the cache follows the set of required modules.
func (s *Snapshot) Done() {
	s.host.modinfoCache.Retain(s.readModules)
	s.host.trees.Retain(s.walked)
	s.host.filesAsked.Store(int32(len(s.memo.files)))
	s.host.lookupsAsked.Store(int32(len(s.memo.lookups)))
	s.aliases.done()
}
