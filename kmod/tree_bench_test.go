package kmod

import (
	"path"
	"path/filepath"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// BenchmarkTreeIndex is what finding a module off modules.dep costs a scrape
// on the Debian amd64 tree (883 directories): walking the tree (as every
// scrape did before the walk was kept), and checking that the kept walk is
// current, with inotify and, where inotify is unavailable, with stats.
func BenchmarkTreeIndex(b *testing.B) {
	release := testenv.Release(b, "amd64")
	trees, _ := testenv.KernelTrees(b)
	dir := path.Join("/lib/modules", release)
	real := filepath.Join(trees[release], dir)
	b.Run("walk", func(b *testing.B) {
		for b.Loop() {
			t := walkTree(real, dir, false)
			if len(t.index) < 4000 || t.err != nil {
				b.Fatalf("%d modules, %v", len(t.index), t.err)
			}
		}
	})
	for _, mode := range []string{"inotify", "stats"} {
		b.Run("kept/"+mode, func(b *testing.B) {
			inotifyDisabled = mode == "stats"
			defer func() { inotifyDisabled = false }()
			var c treeCache
			c.walk(real, dir)
			t := c.entries[real]
			if t == nil || (t.watch != nil) != (mode == "inotify") {
				b.Fatalf("the walk was not kept with %s", mode)
			}
			before := treeWalks.Load()
			for b.Loop() {
				c.walk(real, dir)
			}
			if n := treeWalks.Load() - before; n != 0 {
				b.Fatalf("%d walks", n)
			}
			c.retain(nil)
		})
	}
}
