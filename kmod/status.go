package kmod

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Block is one configuration line that stops a module from loading.
type Block struct {
	Path      string
	Line      int
	Directive string // blacklist, install or cmdline
	// Disables: it stops every load (install override, module_blacklist=),
	// not only loads by alias (blacklist, modprobe.blacklist=).
	Disables bool
}

// Dependency is one module a module needs before it can load.
type Dependency struct {
	Name   string
	Loaded bool // loaded or built in
	// Usable is true when it is loaded, built in, or can be loaded: its file
	// is on disk, built for the running release, and nothing disables it.
	Usable bool
	// Gone is true for a name only the module's own depends= still gives:
	// depmod found no module by that name, so modprobe will not load it.
	Gone bool
}

// ModuleStatus answers, for one module, each documented reason it might not
// be loaded.
type ModuleStatus struct {
	Name    string
	Loaded  bool // Live in /proc/modules, or built in
	State   string
	Builtin bool
	// Blacklisted: a "blacklist" line or modprobe.blacklist= names it; this
	// stops loading by alias, which is how the kernel and iptables ask for it.
	Blacklisted bool
	// Disabled: an install command that does nothing, or the kernel's
	// module_blacklist=, stops it loading at all.
	Disabled bool
	Blocks   []Block
	// File is the host path of its module file under the running release's
	// tree; OnDisk whether it exists.
	File   string
	OnDisk bool
	// FileRelease is the release the file was built for (from vermagic).
	FileRelease string
	// ReleaseMatch: built in, or the file was built for the running release.
	ReleaseMatch bool
	Deps         []Dependency
	DepsOK       bool
	LoadOnBoot   bool
	// FileErr is why the module file's header could not be read, if so.
	FileErr error
	// DepStale: modules.dep exists but does not list the file that is on
	// disk, or the file is more than depmodMargin newer than it: depmod was
	// not run after the module was installed, and modprobe may not find it.
	DepStale bool
}

// Resolve maps a name as a user or a config file writes it to the modules
// modprobe would load for it (see Lookup). A name nothing knows is returned
// normalized, so it can be reported missing.
func (s *Snapshot) Resolve(name string) []string {
	if r, ok := s.memo.lookups[name]; ok {
		return r
	}
	var out []string
	for _, m := range s.Lookup(name) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		out = []string{Normalize(name)}
	}
	if s.memo.lookups == nil {
		s.memo.lookups = map[string][]string{}
	}
	s.memo.lookups[name] = out
	return out
}

// Lookup is kmod's kmod_module_new_from_lookup: the modules a name stands
// for, trying in order aliases from modprobe.d, modules.dep, install/remove
// commands, modules.alias, built-in modules and built-in aliases, and
// stopping at the first that knows it. Empty when none does. Like kmod's,
// the list may repeat a module that several alias patterns match.
func (s *Snapshot) Lookup(name string) []string {
	n := Normalize(name)
	var out []string
	for _, d := range s.Modprobe {
		if d.Command == "alias" && fnmatch(d.Name, n) {
			out = append(out, d.Value)
		}
	}
	if len(out) > 0 {
		return out
	}
	if s.dep.Has(n) {
		return []string{n}
	}
	for _, d := range s.Modprobe {
		if (d.Command == "install" || d.Command == "remove") && d.Name == n {
			return []string{n}
		}
	}
	if m := s.aliases.match(n); len(m) > 0 {
		return m
	}
	if s.builtin[n] {
		return []string{n}
	}
	if m := matchAliases(s.builtinAliases, n); len(m) > 0 {
		return m
	}
	if s.fallbackNames.Has(n) {
		return []string{n}
	}
	return s.fallbackAliases.match(n)
}

// IsBuiltin reports whether the module is compiled into the running kernel:
// listed in modules.builtin, or present in /sys/module without the
// "initstate" file that only loadable modules have (this still works when
// /lib/modules is missing).
func (s *Snapshot) IsBuiltin(name string) bool {
	if s.builtin[name] {
		return true
	}
	if _, loaded := s.Loaded[name]; loaded {
		return false
	}
	// Dependencies shared by many modules (x_tables, nf_conntrack) are
	// asked about once per module that needs them: stat once per scrape.
	if b, ok := s.memo.sysBuiltin[name]; ok {
		return b
	}
	b := s.inSysModuleWithoutInitstate(name)
	if s.memo.sysBuiltin == nil {
		s.memo.sysBuiltin = map[string]bool{}
	}
	s.memo.sysBuiltin[name] = b
	return b
}

func (s *Snapshot) inSysModuleWithoutInitstate(name string) bool {
	dir := filepath.Join(s.host.sys, "module", name)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "initstate"))
	return errors.Is(err, fs.ErrNotExist)
}

// IsLoaded reports whether the module is running: Live in /proc/modules, or
// built in.
func (s *Snapshot) IsLoaded(name string) bool {
	if m, ok := s.Loaded[name]; ok {
		return m.State == "Live"
	}
	return s.IsBuiltin(name)
}

// Blocks returns the lines that stop the module loading, and whether they
// blacklist it (alias loading only) or disable it (all loading).
func (s *Snapshot) blocks(name string) (blocks []Block, blacklisted, disabled bool) {
	for _, d := range s.Modprobe {
		if d.Command == "blacklist" && d.Name == name {
			blocks = append(blocks, Block{Path: d.Path, Line: d.Line, Directive: "blacklist"})
			blacklisted = true
		}
	}
	for _, m := range s.kmodBlacklist {
		if m == name {
			blocks = append(blocks, Block{Path: "/proc/cmdline", Line: 1, Directive: "cmdline"})
			blacklisted = true
			break
		}
	}
	if d, ok := s.installCommand(name); ok && IsNoopInstall(d.Value) && !s.hasSoftdeps(name) {
		blocks = append(blocks, Block{Path: d.Path, Line: d.Line, Directive: "install", Disables: true})
		disabled = true
	}
	for _, m := range s.kernelBlack {
		if m == name {
			blocks = append(blocks, Block{Path: "/proc/cmdline", Line: 1, Directive: "cmdline", Disables: true})
			disabled = true
			break
		}
	}
	return blocks, blacklisted, disabled
}

// installCommand is the install command kmod runs instead of loading the
// module: the first whose name pattern matches.
func (s *Snapshot) installCommand(name string) (Directive, bool) {
	for _, d := range s.Modprobe {
		if d.Command == "install" && fnmatch(d.Name, name) {
			return d, true
		}
	}
	return Directive{}, false
}

// softdeps returns the modules to load before and after the module: the
// first softdep line whose pattern matches (from modprobe.d and
// modules.softdep, in kmod's file order), each name looked up as kmod does.
func (s *Snapshot) softdeps(name string) (pre, post []string) {
	for _, d := range s.Modprobe {
		if d.Command != "softdep" || !fnmatch(d.Name, name) {
			continue
		}
		p, q := SoftDeps(d.Value)
		for _, m := range p {
			pre = append(pre, s.Lookup(m)...)
		}
		for _, m := range q {
			post = append(post, s.Lookup(m)...)
		}
		return pre, post
	}
	return nil, nil
}

// hasSoftdeps reports whether kmod would ignore the module's install command:
// it sets ignorecmd when the module's resolved pre: or post: list is not
// empty.
func (s *Snapshot) hasSoftdeps(name string) bool {
	pre, post := s.softdeps(name)
	return len(pre) > 0 || len(post) > 0
}

// LoadOrder is the sequence of modules `modprobe NAME` loads, as kmod builds
// its probe list: each dependency (modules.dep, deepest first) with its soft
// dependencies around it, then the module itself with its own; a module
// reached through soft dependencies is visited once. Dependencies that are
// themselves needed twice appear twice, as in kmod's list.
func (s *Snapshot) LoadOrder(name string) []string {
	var order []string
	visited := map[string]bool{}
	var probe, fill func(m string)
	probe = func(m string) {
		if visited[m] {
			return
		}
		visited[m] = true
		e, _ := s.dep.Entry(m)
		deps := e.Deps
		for i := len(deps) - 1; i >= 0; i-- {
			fill(deps[i])
		}
		fill(m)
	}
	fill = func(m string) {
		pre, post := s.softdeps(m)
		for _, p := range pre {
			probe(p)
		}
		order = append(order, m)
		for _, p := range post {
			probe(p)
		}
	}
	probe(name)
	return order
}

// IsNoopInstall reports whether an install command replaces loading with a
// command that loads nothing: /bin/true, /bin/false (and their /usr/bin and
// bare forms), ":", "exit", or /dev/null. These are how modules are disabled
// by hand and by hardening guides.
func IsNoopInstall(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "/bin/true", "/bin/false", "/usr/bin/true", "/usr/bin/false", "true", "false", ":", "exit", "/dev/null":
		return true
	}
	return false
}

// Module answers every check for one (resolved, normalized) module.
func (s *Snapshot) Module(name string) ModuleStatus {
	st := ModuleStatus{Name: name}
	if m, ok := s.Loaded[name]; ok {
		st.State = m.State
	}
	st.Builtin = s.IsBuiltin(name)
	st.Loaded = s.IsLoaded(name)
	st.Blocks, st.Blacklisted, st.Disabled = s.blocks(name)
	var f moduleFile
	f, st.OnDisk = s.moduleFile(name)
	st.File = f.path
	st.DepStale = st.OnDisk && s.ModulesDepPresent && (!f.indexed || f.modTime.After(s.ModulesDepModTime.Add(depmodMargin)))
	var info ModInfo
	var haveInfo bool
	if st.OnDisk {
		if info, st.FileErr = s.modInfo(f); st.FileErr == nil {
			haveInfo = true
			st.FileRelease = info.Release()
		}
	}
	st.ReleaseMatch = st.Builtin || (st.OnDisk && st.FileRelease == s.Release)

	var deps []string
	if e, ok := s.dep.Entry(name); ok {
		deps = e.Deps
	} else if haveInfo {
		deps = info.Depends
	}
	st.DepsOK = true
	if len(deps) > 0 {
		st.Deps = make([]Dependency, 0, len(deps))
	}
	for _, d := range deps {
		dep := s.dependency(d)
		if !dep.Usable {
			st.DepsOK = false
		}
		st.Deps = append(st.Deps, dep)
	}
	if haveInfo {
		// depmod drops a dependency whose module is gone, but the module
		// still needs its symbols and the kernel refuses it ("Unknown
		// symbol"): a depends= name nothing provides is a missing one.
		for _, d := range info.Depends {
			if dep := s.dependency(d); !dep.Usable && !slices.Contains(deps, d) {
				dep.Gone = true
				st.DepsOK = false
				st.Deps = append(st.Deps, dep)
			}
		}
	}
	st.LoadOnBoot = s.bootModules()[name]
	return st
}

// dependency answers whether a module others depend on is loaded or
// usable, once per snapshot however many modules depend on it.
func (s *Snapshot) dependency(name string) Dependency {
	if dep, ok := s.memo.deps[name]; ok {
		return dep
	}
	dep := Dependency{Name: name, Loaded: s.IsLoaded(name)}
	dep.Usable = dep.Loaded
	if !dep.Usable {
		f, onDisk := s.moduleFile(name)
		_, _, disabled := s.blocks(name)
		dep.Usable = onDisk && !disabled
		if dep.Usable {
			di, err := s.modInfo(f)
			dep.Usable = err == nil && di.Release() == s.Release
		}
	}
	if s.memo.deps == nil {
		s.memo.deps = map[string]Dependency{}
	}
	s.memo.deps[name] = dep
	return dep
}

// depmodMargin is how much newer than modules.dep a module file may be before
// it counts as installed without depmod: package managers run depmod seconds
// after unpacking, and a checkout writes files in no particular order.
const depmodMargin = time.Minute

// bootModules are the modules the boot lists name, resolved once.
func (s *Snapshot) bootModules() map[string]bool {
	if s.memo.boot == nil {
		s.memo.boot = map[string]bool{}
		for _, b := range s.Boot {
			for _, m := range s.Resolve(b.Name) {
				s.memo.boot[m] = true
			}
		}
	}
	return s.memo.boot
}

// moduleFile is where a module's file was found.
type moduleFile struct {
	path    string // host path
	info    fs.FileInfo
	indexed bool // modules.dep names this path
	modTime time.Time
}

// moduleFile finds the module's file in the running release's tree: where
// modules.dep says, and, when modules.dep is missing, stale or silent, by
// looking through the tree itself as depmod would.
func (s *Snapshot) moduleFile(name string) (moduleFile, bool) {
	if f, ok := s.memo.files[name]; ok {
		return f, s.memo.found[name]
	}
	f, found := s.findModuleFile(name)
	if s.memo.files == nil {
		s.memo.files, s.memo.found = map[string]moduleFile{}, map[string]bool{}
	}
	s.memo.files[name], s.memo.found[name] = f, found
	return f, found
}

func (s *Snapshot) findModuleFile(name string) (moduleFile, bool) {
	if !s.ModulesDirPresent {
		return moduleFile{}, false
	}
	if p, ok := s.dep.Path(name); ok {
		if !path.IsAbs(p) {
			p = path.Join(s.ModulesDir, p)
		}
		if fi, err := s.view.stat(p); err == nil && fi.Mode().IsRegular() {
			return moduleFile{path: p, info: fi, indexed: true, modTime: fi.ModTime()}, true
		}
	}
	p, ok := s.treeIndex()[name]
	if !ok {
		return moduleFile{}, false
	}
	f := moduleFile{path: p}
	if fi, err := s.view.stat(p); err == nil {
		f.info, f.modTime = fi, fi.ModTime()
	}
	return f, true
}

// moduleSuffixes are the file names kmod loads: plain and compressed.
var moduleSuffixes = []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"}

func moduleFileName(base string) (string, bool) {
	for _, suf := range moduleSuffixes {
		if strings.HasSuffix(base, suf) {
			return Normalize(strings.TrimSuffix(base, suf)), true
		}
	}
	return "", false
}

// treeIndex walks the running release's tree once per snapshot, only when a
// module is not where modules.dep says.
func (s *Snapshot) treeIndex() map[string]string {
	return s.treeIndexOf(s.ModulesDir)
}

// treeIndexOf maps module names to their files under a release directory:
// the host's walk of it, reused while none of its directories changed
// (treeCache), and asked for once per snapshot.
func (s *Snapshot) treeIndexOf(dir string) map[string]string {
	if idx, ok := s.trees[dir]; ok {
		return idx
	}
	if s.trees == nil {
		s.trees = map[string]map[string]string{}
	}
	real, err := s.host.root.Resolve(dir)
	if err != nil {
		s.treeErr = err
		s.trees[dir] = map[string]string{}
		return s.trees[dir]
	}
	if s.walked == nil {
		s.walked = map[string]bool{}
	}
	s.walked[real] = true
	idx, err := s.host.trees.walk(real, dir)
	if err != nil {
		s.treeErr = err
	}
	s.trees[dir] = idx
	return idx
}

// TreeErr is why the walk of the running release's tree stopped early, if it
// did; modules it did not reach are reported missing.
func (s *Snapshot) TreeErr() error { return s.treeErr }

// Done ends the snapshot: headers cached for module files it did not read
// are dropped, so the cache follows the set of required modules.
func (s *Snapshot) Done() {
	s.host.modinfoCache.retain(s.readModules)
	s.host.trees.retain(s.walked)
	s.aliases.done()
	if s.ownsView {
		s.view.Release()
	}
}

// modInfo reads a module file's .modinfo, cached while the file is unchanged.
func (s *Snapshot) modInfo(f moduleFile) (ModInfo, error) {
	if f.info == nil {
		return ModInfo{}, &fs.PathError{Op: "stat", Path: f.path, Err: fs.ErrNotExist}
	}
	if s.readModules == nil {
		s.readModules = map[string]bool{}
	}
	s.readModules[f.path] = true
	return s.host.modinfoCache.verdict(f.path, f.info, func() (ModInfo, fs.FileInfo, error) {
		file, err := s.host.root.Open(f.path)
		if err != nil {
			return ModInfo{}, nil, err
		}
		defer file.Close()
		return ReadModInfo(file)
	})
}
