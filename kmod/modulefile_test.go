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

// TestDepPathsFollowIndexAndRelease: the kept host paths are those of the
// modules.dep parse and release directory asked about, never another's.
func TestDepPathsFollowIndexAndRelease(t *testing.T) {
	parse := func(text string) *ModulesDep {
		d, err := ParseModulesDep([]byte(text))
		must(t, err)
		return d
	}
	old := parse("kernel/net/netfilter/xt_state.ko: kernel/net/netfilter/nf_conntrack.ko\nkernel/net/netfilter/nf_conntrack.ko:\n")
	moved := parse("updates/xt_state.ko.xz:\n/opt/abs/nf_conntrack.ko:\n")
	var c depPaths
	for _, tc := range []struct {
		dep        *ModulesDep
		dir, name  string
		want       string
		wantListed bool
	}{
		{old, "/lib/modules/6.1", "xt_state", "/lib/modules/6.1/kernel/net/netfilter/xt_state.ko", true},
		{old, "/lib/modules/6.1", "xt_state", "/lib/modules/6.1/kernel/net/netfilter/xt_state.ko", true},
		{old, "/lib/modules/6.12", "xt_state", "/lib/modules/6.12/kernel/net/netfilter/xt_state.ko", true},
		{moved, "/lib/modules/6.12", "xt_state", "/lib/modules/6.12/updates/xt_state.ko.xz", true},
		{moved, "/lib/modules/6.12", "nf_conntrack", "/opt/abs/nf_conntrack.ko", true},
		{moved, "/lib/modules/6.12", "xt_nat", "", false},
		{nil, "/lib/modules/6.12", "xt_state", "", false},
		{old, "/lib/modules/6.1", "nf_conntrack", "/lib/modules/6.1/kernel/net/netfilter/nf_conntrack.ko", true},
	} {
		got, ok := c.path(tc.dep, tc.dir, tc.name)
		if got != tc.want || ok != tc.wantListed {
			t.Errorf("path(%s in %s) = %q, %v; want %q, %v", tc.name, tc.dir, got, ok, tc.want, tc.wantListed)
		}
	}
}
