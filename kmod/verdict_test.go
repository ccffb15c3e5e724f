package kmod

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// TestBadModuleFileVerdictCached: a truncated compressed module is a
// verdict about that file: reported for it alone (release unknown, not
// "another kernel"), and not decompressed again until the file changes.
func TestBadModuleFileVerdictCached(t *testing.T) {
	root := testenv.CopyTree(t, filepath.Join("..", "fixtures", "healthy"))
	p := filepath.Join(root, "root/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	h := NewHost(Paths{Proc: filepath.Join(root, "proc"), Sys: filepath.Join(root, "sys"), Root: filepath.Join(root, "root")})
	scrape := func() (ModuleStatus, ModuleStatus, int64) {
		t.Helper()
		before := decompressions.Load()
		s, _ := readSnapshot(t, h)
		if s == nil {
			t.Fatal("no snapshot")
		}
		defer s.Done()
		return s.Module("nf_conntrack"), s.Module("xt_recent"), decompressions.Load() - before
	}
	bad, good, passes := scrape()
	if bad.FileErr == nil || FileErrReason(bad.FileErr) != "truncated" || !bad.OnDisk || bad.FileRelease != "" {
		t.Errorf("nf_conntrack: err %v (%s), on disk %v, release %q; want truncated", bad.FileErr, FileErrReason(bad.FileErr), bad.OnDisk, bad.FileRelease)
	}
	if good.FileErr != nil || !good.ReleaseMatch {
		t.Errorf("xt_recent: err %v, release match %v; want a good file", good.FileErr, good.ReleaseMatch)
	}
	if passes == 0 {
		t.Fatal("the first scrape decompressed nothing")
	}
	if bad, _, passes = scrape(); passes != 0 || bad.FileErr == nil {
		t.Errorf("second scrape: %d passes (want 0: the verdict is cached), err %v", passes, bad.FileErr)
	}
	// A new version of the file is read again.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	if _, _, passes = scrape(); passes == 0 {
		t.Error("the changed file was not read again")
	}
}
