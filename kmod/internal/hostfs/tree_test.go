package hostfs

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// testIndex maps the base name of each .ko file, up to its first dot, to
// its path; the first path wins, except that one under updates/ wins over
// the rest.
func testIndex(files []string) map[string]string {
	index := map[string]string{}
	for _, p := range files {
		base := path.Base(p)
		if !strings.Contains(base, ".ko") {
			continue
		}
		name, _, _ := strings.Cut(base, ".")
		if _, dup := index[name]; !dup || strings.Contains(p, "/updates/") {
			index[name] = p
		}
	}
	return index
}

// TestTreeWalkFollowsChanges: the walk of the running release's tree is
// reused while no directory of it changes, and walked again after any
// change that could move a module: a file added deep in the tree, one in
// updates/ taking precedence, one removed, a directory renamed, the whole
// tree replaced. Both ways of noticing: inotify, and stats without it.
func TestTreeWalkFollowsChanges(t *testing.T) {
	for _, mode := range []string{"inotify", "stats"} {
		t.Run(mode, func(t *testing.T) {
			old := settleMargin
			settleMargin = 50 * time.Millisecond
			inotifyDisabled = mode == "stats"
			t.Cleanup(func() { settleMargin, inotifyDisabled = old, false })
			root := testenv.CopyTree(t, filepath.Join("..", "..", "..", "fixtures", "healthy"))
			release := "/lib/modules/6.1.0-18-amd64"
			dir := filepath.Join(root, "root", release)
			c := &TreeCache{MaxEntries: 200000}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			// index is the tree's index, and how many walks it took.
			index := func() (map[string]string, int64) {
				t.Helper()
				before := treeWalks.Load()
				idx, err := c.Walk(dir, release, testIndex)
				if err != nil {
					t.Fatal(err)
				}
				return idx, treeWalks.Load() - before
			}
			// settle lets the stamps of the last change age past the margin
			// within which stats cannot tell a second change in the same
			// tick; until then each snapshot walks, and the first after is
			// the walk kept.
			settle := func() {
				if mode == "stats" {
					time.Sleep(2 * settleMargin)
					index()
				}
			}
			expect := func(step, module, want string, walks int64) {
				t.Helper()
				idx, n := index()
				if got := idx[module]; got != want {
					t.Errorf("%s: %s at %q, want %q", step, module, got, want)
				}
				if n != walks {
					t.Errorf("%s: %d walks, want %d", step, n, walks)
				}
			}
			netfilter := release + "/kernel/net/netfilter"
			expect("first", "xt_recent", netfilter+"/xt_recent.ko.zst", 1)
			settle()
			expect("unchanged", "xt_recent", netfilter+"/xt_recent.ko.zst", 0)
			// A file added deep in the tree.
			must(os.WriteFile(filepath.Join(dir, "kernel/net/netfilter/ipset/ip_set_extra.ko"), []byte("x"), 0o644))
			expect("added", "ip_set_extra", netfilter+"/ipset/ip_set_extra.ko", 1)
			settle()
			expect("added, unchanged", "ip_set_extra", netfilter+"/ipset/ip_set_extra.ko", 0)
			// updates/ wins over the rest.
			must(os.MkdirAll(filepath.Join(dir, "updates/dkms"), 0o755))
			must(os.WriteFile(filepath.Join(dir, "updates/dkms/xt_recent.ko"), []byte("x"), 0o644))
			expect("updates", "xt_recent", release+"/updates/dkms/xt_recent.ko", 1)
			settle()
			expect("updates, unchanged", "xt_recent", release+"/updates/dkms/xt_recent.ko", 0)
			// Removed.
			must(os.Remove(filepath.Join(dir, "updates/dkms/xt_recent.ko")))
			expect("removed", "xt_recent", netfilter+"/xt_recent.ko.zst", 1)
			settle()
			// A directory renamed.
			must(os.Rename(filepath.Join(dir, "kernel/net/netfilter/ipset"), filepath.Join(dir, "kernel/net/netfilter/ip-set")))
			expect("renamed", "ip_set_extra", netfilter+"/ip-set/ip_set_extra.ko", 1)
			settle()
			expect("renamed, unchanged", "ip_set_extra", netfilter+"/ip-set/ip_set_extra.ko", 0)
			// The whole tree replaced by another without the file.
			must(os.Rename(dir, dir+".old"))
			must(os.Mkdir(dir, 0o755))
			expect("replaced", "ip_set_extra", "", 1)
			settle()
			expect("replaced, unchanged", "ip_set_extra", "", 0)
			// A modified file changes no name: the walk is kept.
			must(os.Rename(dir, dir+".empty"))
			must(os.Rename(dir+".old", dir))
			expect("back", "ip_set_extra", netfilter+"/ip-set/ip_set_extra.ko", 1)
			settle()
			must(os.WriteFile(filepath.Join(dir, "kernel/net/netfilter/ip-set/ip_set_extra.ko"), []byte("xy"), 0o644))
			expect("modified", "ip_set_extra", netfilter+"/ip-set/ip_set_extra.ko", 0)
		})
	}
}

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
			t := walkTree(real, dir, false, 200000, testIndex)
			if len(t.index) < 4000 || t.err != nil {
				b.Fatalf("%d modules, %v", len(t.index), t.err)
			}
		}
	})
	for _, mode := range []string{"inotify", "stats"} {
		b.Run("kept/"+mode, func(b *testing.B) {
			inotifyDisabled = mode == "stats"
			defer func() { inotifyDisabled = false }()
			c := TreeCache{MaxEntries: 200000}
			c.Walk(real, dir, testIndex)
			t := c.entries[real]
			if t == nil || (t.watch != nil) != (mode == "inotify") {
				b.Fatalf("the walk was not kept with %s", mode)
			}
			before := treeWalks.Load()
			for b.Loop() {
				c.Walk(real, dir, testIndex)
			}
			if n := treeWalks.Load() - before; n != 0 {
				b.Fatalf("%d walks", n)
			}
			c.Retain(nil)
		})
	}
}
