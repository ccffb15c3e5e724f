package kmod

import (
	"reflect"
	"testing"
)

// TestModuleIndex: a module file is found by its name, compressed or not;
// updates/ wins over the rest and, among equals, the first path.
func TestModuleIndex(t *testing.T) {
	dir := "/lib/modules/6.1.0-18-amd64"
	got := moduleIndex([]string{
		dir + "/kernel/net/netfilter/xt_recent.ko.zst",
		dir + "/kernel/net/netfilter/nf-conntrack.ko",
		dir + "/extra/nf_conntrack.ko.xz",
		dir + "/modules.dep",
		dir + "/updates/dkms/xt_recent.ko",
	}, dir)
	want := map[string]string{
		"xt_recent":    dir + "/updates/dkms/xt_recent.ko",
		"nf_conntrack": dir + "/kernel/net/netfilter/nf-conntrack.ko",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestTreeWalkDropped: a walk nobody asks about any more is dropped, with
// its watch.
func TestTreeWalkDropped(t *testing.T) {
	root := copyTree(t, "healthy")
	h := hostAt(root)
	s, _ := readSnapshot(t, h)
	s.treeIndex()
	s.Done()
	if n := h.trees.Len(); n != 1 {
		t.Fatalf("%d walks kept after a snapshot that walked, want 1", n)
	}
	s, _ = readSnapshot(t, h)
	s.Done()
	if n := h.trees.Len(); n != 0 {
		t.Errorf("%d walks kept after a snapshot that did not walk, want 0", n)
	}
}
