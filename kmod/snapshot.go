package kmod

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
)

// Snapshot is everything read from the host for one scrape, and for the
// scrapes after it while nothing it read changed (see View.Snapshot). Its
// methods answer questions about modules without reading more than the
// module files they concern.
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

	// What the next scrape needs to take this snapshot again instead of
	// reading a new one (Host.reuse): err is what reading it returned;
	// asked the root's count (hostfs.Root.Asked) when this use began;
	// proofs read again what it read outside the root (/proc, /sys, tree
	// walks), each true while the answer is the same. inUse is set from
	// the snapshot's taking to its Done, under the host's lastMu; noReuse
	// marks one whose reading failed in a way no proof covers.
	err     error
	asked   uint64
	proofs  []func() bool
	inUse   bool
	noReuse bool
	loadGen uint64 // the loaded cache's parse this snapshot's Loaded is
}

// Snapshot reads the host's module state, sharing the view's reads: one
// reader per source, each adding what it read and its errors. A non-nil
// error means part of the state could not be read; the snapshot is still
// usable for the rest.
//
// The snapshot of the scrape before is taken again, with what it already
// answered, when nothing it read can have changed: the root's files asked
// nothing and inotify reported nothing since (hostfs.Root.Asked), the
// kernel and its trees are the same, and each /proc and /sys file it read
// reads the same. The caller must not change what it returns.
func (v *View) Snapshot() (*Snapshot, error) {
	asked, watched := v.host.root.Asked()
	k, err := v.Kernel()
	if err != nil {
		return nil, err
	}
	if s := v.host.reuse(v, k, asked, watched); s != nil {
		return s, s.err
	}
	s := &Snapshot{Kernel: k, host: v.host, view: v, Loaded: map[string]LoadedModule{}, asked: asked, noReuse: !watched}
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
	s.err = errors.Join(errs...)
	v.host.taken(s)
	return s, s.err
}

// prove records a check that what the snapshot read outside the root
// still reads the same (see Host.reuse).
func (s *Snapshot) prove(same func() bool) { s.proofs = append(s.proofs, same) }

// reuse returns the host's last snapshot, taken for view v, if nothing it
// read can have changed since its last use began (see View.Snapshot): asked
// is the root's count now, watched whether the root's changes are seen.
func (h *Host) reuse(v *View, k Kernel, asked uint64, watched bool) *Snapshot {
	h.lastMu.Lock()
	defer h.lastMu.Unlock()
	s := h.last
	if s == nil || !watched || s.inUse || s.noReuse || s.asked != asked || !s.Kernel.equal(k) {
		return nil
	}
	s.view = v // lazy answers read through this scrape's view from now on
	for _, same := range s.proofs {
		if !same() {
			h.last = nil
			return nil
		}
	}
	s.inUse = true
	s.aliases.again()
	return s
}

// taken makes s the snapshot the next scrape may take again.
func (h *Host) taken(s *Snapshot) {
	h.lastMu.Lock()
	defer h.lastMu.Unlock()
	s.inUse = true
	h.last = s
}

// equal reports whether two readings of the kernel agree.
func (k Kernel) equal(o Kernel) bool {
	return k.Release == o.Release && k.ModuleSupport == o.ModuleSupport && k.ModulesDir == o.ModulesDir &&
		k.ModulesDirPresent == o.ModulesDirPresent && k.ModulesDepPresent == o.ModulesDepPresent &&
		k.ModulesDepModTime.Equal(o.ModulesDepModTime) && slices.Equal(k.Trees, o.Trees)
}

// readLoaded reads /proc/modules, on kernels with module support.
func (s *Snapshot) readLoaded() error {
	if !s.ModuleSupport {
		return nil
	}
	proc := s.host.proc
	data, _, err := proc.ReadFile("modules", maxIndexFile)
	if err != nil {
		s.noReuse = true
		return err
	}
	if s.Loaded, s.loadGen, err = s.host.loaded.parse(data); err != nil {
		s.noReuse = true
		return fmt.Errorf("%s: %w", proc.Path("modules"), err)
	}
	s.prove(func() bool {
		data, _, err := proc.ReadFile("modules", maxIndexFile)
		if err != nil {
			return false
		}
		_, gen, err := s.host.loaded.parse(data)
		return err == nil && gen == s.loadGen
	})
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
	s.prove(func() bool {
		again, _, err2 := s.host.proc.ReadFile("cmdline", 1<<20)
		return sameErr(err, err2) && string(again) == string(data)
	})
	if err != nil {
		if NotApplicable(err) {
			return nil
		}
		s.noReuse = true
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

// Done ends the snapshot's use by one scrape: headers cached for module
// files it did not read are dropped, so the cache follows the set of
// required modules, and the next scrape may take it again.
func (s *Snapshot) Done() {
	s.host.lastMu.Lock()
	s.inUse = false
	s.host.lastMu.Unlock()
	s.host.modinfoCache.Retain(s.readModules)
	s.host.trees.Retain(s.walked)
	s.host.filesAsked.Store(int32(len(s.memo.files)))
	s.host.lookupsAsked.Store(int32(len(s.memo.lookups)))
	s.aliases.done()
}

// sameErr reports whether two reads failed alike (or both succeeded).
func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}
