package kmod

import (
	"path"
	"strings"
)

// Where a module's file lies in a release's tree: the kernel package's own
// (kernel/) or installed beside it (updates/, extra/, a dkms/ directory:
// DKMS builds, vendors' kmods), which decides the fix for a missing or
// mismatched file.
const (
	TreeInKernel  = "in_tree"
	TreeOutOfTree = "out_of_tree"
)

// ModuleTree tells whether the module is the kernel's own or out of tree,
// from its path in the running release (modules.dep, else the file found
// on disk) or else in another installed release; "" when no tree places
// it.
func (s *Snapshot) ModuleTree(name string) string {
	name = Normalize(name)
	if e, ok := s.dep.Entry(name); ok && e.Path != "" {
		return treeOf(e.Path, path.Join("/lib/modules", s.Release))
	}
	if f, ok := s.moduleFile(name); ok {
		return treeOf(f.path, path.Join("/lib/modules", s.Release))
	}
	for _, rel := range s.OtherReleases() {
		r := s.releaseIndex(rel)
		if e, ok := r.dep.Entry(name); ok && e.Path != "" {
			return treeOf(e.Path, r.dir)
		}
	}
	return ""
}

// treeOf classifies a module path, relative to the release directory dir
// or absolute.
func treeOf(p, dir string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
	switch {
	case strings.HasPrefix(rel, "updates/"), strings.HasPrefix(rel, "extra/"), strings.HasPrefix(rel, "dkms/"), strings.Contains(rel, "/dkms/"):
		return TreeOutOfTree
	case strings.HasPrefix(rel, "kernel/"):
		return TreeInKernel
	}
	return ""
}
