package kmod

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

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
			root := copyTree(t, "healthy")
			release := "/lib/modules/6.1.0-18-amd64"
			dir := filepath.Join(root, "root", release)
			h := hostAt(root)
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			// index is one snapshot's view of the tree, and how many walks it took.
			index := func() (map[string]string, int64) {
				t.Helper()
				before := treeWalks.Load()
				s, err := h.Snapshot()
				if s == nil {
					t.Fatal(err)
				}
				defer s.Done()
				idx := s.treeIndex()
				s.treeIndex() // once per snapshot
				if err := s.TreeErr(); err != nil {
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

// TestTreeWalkDropped: a walk nobody asks about any more is dropped, with
// its watch.
func TestTreeWalkDropped(t *testing.T) {
	root := copyTree(t, "healthy")
	h := hostAt(root)
	s, _ := h.Snapshot()
	s.treeIndex()
	s.Done()
	if n := len(h.trees.entries); n != 1 {
		t.Fatalf("%d walks kept after a snapshot that walked, want 1", n)
	}
	s, _ = h.Snapshot()
	s.Done()
	if n := len(h.trees.entries); n != 0 {
		t.Errorf("%d walks kept after a snapshot that did not walk, want 0", n)
	}
}
