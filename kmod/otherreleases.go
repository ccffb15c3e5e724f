package kmod

import (
	"path"
	"strings"
)

// OtherReleases are the installed module trees other than the running
// kernel's: the kernels the next boot may run.
func (s *Snapshot) OtherReleases() []string {
	var out []string
	for _, t := range s.Trees {
		if t != s.Release {
			out = append(out, t)
		}
	}
	return out
}

// PresentInRelease reports whether another installed release has the
// module: built in, listed in its modules.dep, or (without modules.dep) a
// file in its tree.
func (s *Snapshot) PresentInRelease(module, release string) bool {
	if strings.ContainsAny(release, "/\x00") {
		return false
	}
	r := s.releaseIndex(release)
	if r.builtin[module] {
		return true
	}
	if r.dep.Len() > 0 {
		return r.dep.Has(module)
	}
	_, found := s.treeIndexOf(r.dir)[module]
	return found
}

// otherRelease is the index of another installed release.
type otherRelease struct {
	dir     string
	builtin map[string]bool
	dep     *ModulesDep
}

// releaseIndex reads another release's index once per snapshot, however
// many modules are asked about.
func (s *Snapshot) releaseIndex(release string) otherRelease {
	if r, ok := s.memo.releases[release]; ok {
		return r
	}
	r := otherRelease{dir: path.Join("/lib/modules", release)}
	r.builtin, _, _ = readCached(s.view, &s.host.builtinCache, path.Join(r.dir, "modules.builtin"), maxIndexFile, parseModulesBuiltin)
	r.dep, _, _ = readCached(s.view, &s.host.depCache, path.Join(r.dir, "modules.dep"), maxIndexFile, ParseModulesDep)
	if s.memo.releases == nil {
		s.memo.releases = map[string]otherRelease{}
	}
	s.memo.releases[release] = r
	return r
}
