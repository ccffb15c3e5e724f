package kmod

import (
	"slices"
	"time"
)

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
	// Known: some installed tree, alias index, built-in list or the
	// kernel's netfilter options know the name. An unknown name (a typo, an
	// extension no kernel has) is not a missing file: nothing could load it.
	Known bool
	// DepStale: modules.dep exists but does not list the file that is on
	// disk, or the file is more than depmodMargin newer than it: depmod was
	// not run after the module was installed, and modprobe may not find it.
	DepStale bool
}

// Module answers every check for one (resolved, normalized) module.
// The answer is kept with the snapshot: its slices are shared, read them
// only.
func (s *Snapshot) Module(name string) ModuleStatus {
	if st, ok := s.memo.status[name]; ok {
		return st
	}
	st := s.module(name)
	if s.memo.status == nil {
		s.memo.status = make(map[string]ModuleStatus, s.host.lookupsAsked.Load())
	}
	s.memo.status[name] = st
	return st
}

func (s *Snapshot) module(name string) ModuleStatus {
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
	st.DepStale = st.OnDisk && s.ModulesDepPresent && (!f.indexed || f.modTime().After(s.ModulesDepModTime.Add(depmodMargin)))
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
	st.Known = st.Loaded || st.Builtin || st.OnDisk || s.knownElsewhere(name)
	return st
}

// knownElsewhere reports whether a module that is neither loaded, built in
// nor on disk is still a real name: modules.dep lists it, the kernel's
// netfilter options name it, or another installed release has it.
func (s *Snapshot) knownElsewhere(name string) bool {
	if s.dep.Has(name) {
		return true
	}
	if _, ok := ConfigSymbol(name); ok {
		return true
	}
	return slices.ContainsFunc(s.OtherReleases(), func(rel string) bool { return s.PresentInRelease(name, rel) })
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
		s.memo.deps = make(map[string]Dependency, s.host.filesAsked.Load())
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

// LoadedAsDependency returns the modules of required (sorted), other than
// name, that depend on name and are neither blacklisted nor disabled
// themselves. Loading one of them loads name first as a dependency, and kmod
// applies a blacklist only to the module asked for, never to its
// dependencies (`modprobe -b ipt_conntrack` loads a blacklisted
// nf_conntrack), so while one is required a blacklist does not keep name
// from loading. An install override does: kmod runs it for a dependency too.
func (s *Snapshot) LoadedAsDependency(name string, required map[string][]string) []string {
	var out []string
	for r := range required {
		if r == name {
			continue
		}
		st := s.Module(r)
		if st.Blacklisted || st.Disabled || !slices.ContainsFunc(st.Deps, func(d Dependency) bool { return d.Name == name }) {
			continue
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
