package kmod

import (
	"io/fs"
	"path"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// moduleFile is where a module's file was found.
type moduleFile struct {
	path    string // host path
	info    fs.FileInfo
	indexed bool // modules.dep names this path
}

// modTime is the file's modification time; zero when it could not be
// stat'ed.
func (f moduleFile) modTime() time.Time {
	if f.info == nil {
		return time.Time{}
	}
	return f.info.ModTime()
}

// moduleFile finds the module's file in the running release's tree: where
// modules.dep says, and, when modules.dep is missing, stale or silent, by
// looking through the tree itself as depmod would.
func (s *Snapshot) moduleFile(name string) (moduleFile, bool) {
	if f, ok := s.memo.files[name]; ok {
		return f.moduleFile, f.found
	}
	f, found := s.findModuleFile(name)
	if s.memo.files == nil {
		// As many as the last snapshot asked for: growing the map was a
		// tenth of a scrape's allocations.
		s.memo.files = make(map[string]foundFile, s.host.filesAsked.Load())
	}
	s.memo.files[name] = foundFile{f, found}
	return f, found
}

// foundFile is a module file as findModuleFile answered: found is false
// when the module has none.
type foundFile struct {
	moduleFile
	found bool
}

func (s *Snapshot) findModuleFile(name string) (moduleFile, bool) {
	if !s.ModulesDirPresent {
		return moduleFile{}, false
	}
	if p, ok := s.host.depPaths.path(s.dep, s.ModulesDir, name); ok {
		if fi, err := s.view.files.Stat(p); err == nil && fi.Mode().IsRegular() {
			return moduleFile{path: p, info: fi, indexed: true}, true
		}
	}
	p, ok := s.treeIndex()[name]
	if !ok {
		return moduleFile{}, false
	}
	f := moduleFile{path: p}
	if fi, err := s.view.files.Stat(p); err == nil {
		f.info = fi
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
	real, idx, err := s.walkTree(dir)
	// Resolve is not counted in the root's Asked, and the walk is checked
	// by its own watch: the next scrape does both again.
	s.prove(func() bool {
		real2, idx2, err2 := s.walkTree(dir)
		return real2 == real && sameErr(err2, err) && reflect.ValueOf(idx2).UnsafePointer() == reflect.ValueOf(idx).UnsafePointer()
	})
	if real == "" {
		s.treeErr = err
		s.trees[dir] = map[string]string{}
		return s.trees[dir]
	}
	if s.walked == nil {
		s.walked = map[string]bool{}
	}
	s.walked[real] = true
	if err != nil {
		s.treeErr = err
	}
	s.trees[dir] = idx
	return idx
}

// walkTree resolves the release directory dir and walks it, or returns
// the host's last walk of it while none of its directories changed.
func (s *Snapshot) walkTree(dir string) (real string, idx map[string]string, err error) {
	real, err = s.host.root.Resolve(dir)
	if err != nil {
		return "", nil, err
	}
	idx, err = s.host.trees.Walk(real, dir, func(files []string) map[string]string { return moduleIndex(files, dir) })
	return real, idx, err
}

// TreeErr is why the walk of the running release's tree stopped early, if it
// did; modules it did not reach are reported missing.
func (s *Snapshot) TreeErr() error { return s.treeErr }

// modInfo reads a module file's .modinfo, cached while the file is unchanged.
func (s *Snapshot) modInfo(f moduleFile) (ModInfo, error) {
	if f.info == nil {
		return ModInfo{}, &fs.PathError{Op: "stat", Path: f.path, Err: fs.ErrNotExist}
	}
	if s.readModules == nil {
		s.readModules = make(map[string]bool, s.host.filesAsked.Load())
	}
	s.readModules[f.path] = true
	return s.host.modinfoCache.Verdict(f.path, f.info, func() (ModInfo, fs.FileInfo, error) {
		file, err := s.host.root.Open(f.path)
		if err != nil {
			return ModInfo{}, nil, err
		}
		defer file.Close()
		return ReadModInfo(file)
	})
}

// moduleIndex maps module names to the module files among a release
// directory's files (host paths, in walk order). depmod prefers updates/
// over the rest; among equals, the first path.
func moduleIndex(files []string, dir string) map[string]string {
	type found struct{ name, path string }
	var modules []found
	for _, p := range files {
		if n, ok := moduleFileName(path.Base(p)); ok {
			modules = append(modules, found{n, p})
		}
	}
	sort.SliceStable(modules, func(i, j int) bool {
		return rankPath(modules[i].path, dir) < rankPath(modules[j].path, dir)
	})
	index := make(map[string]string, len(modules))
	for _, f := range modules {
		if _, dup := index[f.name]; !dup {
			index[f.name] = f.path
		}
	}
	return index
}

func rankPath(p, dir string) int {
	if strings.HasPrefix(p, dir+"/updates/") {
		return 0
	}
	return 1
}

// depPaths keeps the host paths of the module files modules.dep names, for
// one parse of it and one release directory: joining them anew was a tenth
// of a warm scrape's allocations. It holds only the names asked for.
type depPaths struct {
	mu    sync.Mutex
	dep   *ModulesDep
	dir   string
	paths map[string]string
}

// path is the module's file as modules.dep gives it, under dir when
// relative.
func (c *depPaths) path(dep *ModulesDep, dir, name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dep != dep || c.dir != dir {
		c.dep, c.dir, c.paths = dep, dir, map[string]string{}
	}
	if p, ok := c.paths[name]; ok {
		return p, true
	}
	p, ok := dep.Path(name)
	if !ok {
		return "", false
	}
	if !path.IsAbs(p) {
		p = path.Join(dir, p)
	}
	c.paths[name] = p
	return p, true
}
