package kmod

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A module installed after depmod last ran is found, and flagged stale:
// either modules.dep does not list it, or it is much newer than modules.dep.
func TestStaleModulesDep(t *testing.T) {
	d := copyTree(t, "healthy")
	dir := filepath.Join(d, "root/lib/modules/6.1.0-18-amd64")
	data, err := os.ReadFile(filepath.Join(dir, "kernel/net/netfilter/xt_recent.ko.zst"))
	must(t, err)
	writeFile(t, filepath.Join(dir, "updates/dkms/xt_new.ko.zst"), string(data))
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
	s, err := readSnapshot(t, h)
	must(t, err)
	if st := s.Module("xt_new"); !st.OnDisk || !st.DepStale || st.File != "/lib/modules/6.1.0-18-amd64/updates/dkms/xt_new.ko.zst" {
		t.Errorf("unindexed module: %+v", st)
	}
	if st := s.Module("xt_set"); st.DepStale {
		t.Errorf("indexed module reported stale: %+v", st)
	}
	future := time.Now().Add(2 * time.Hour)
	must(t, os.Chtimes(filepath.Join(dir, "kernel/net/netfilter/xt_set.ko.gz"), future, future))
	s, err = readSnapshot(t, h)
	must(t, err)
	if st := s.Module("xt_set"); !st.DepStale {
		t.Errorf("module newer than modules.dep not reported stale: %+v", st)
	}
}

// Without modules.dep (depmod not run) a module's file is still found by
// looking through the tree.
func TestFileFoundWithoutModulesDep(t *testing.T) {
	d := copyTree(t, "healthy")
	must(t, os.Remove(filepath.Join(d, "root/lib/modules/6.1.0-18-amd64/modules.dep")))
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
	s, err := readSnapshot(t, h)
	must(t, err)
	if s.ModulesDepPresent {
		t.Error("modules.dep reported present")
	}
	st := s.Module("xt_recent")
	if !st.OnDisk || st.File != "/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_recent.ko.zst" || !st.ReleaseMatch {
		t.Errorf("xt_recent: %+v", st)
	}
	// Dependencies then come from the module's own depends= field.
	if st := s.Module("xt_conntrack"); len(st.Deps) != 2 || st.Deps[0].Name != "nf_conntrack" {
		t.Errorf("xt_conntrack deps from modinfo: %+v", st.Deps)
	}
}
