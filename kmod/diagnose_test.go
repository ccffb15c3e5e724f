package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDiagnoseUnreadableModuleFile: a required module that is not loaded
// and whose file is on disk but truncated gets KmodModuleFileUnreadable with
// the file and the reason, and nothing else (not "built for another
// kernel", whose vermagic was never read, nor "not loaded").
func TestDiagnoseUnreadableModuleFile(t *testing.T) {
	root := copyTree(t, "healthy")
	dir := filepath.Join(root, "root/lib/modules/6.1.0-18-amd64")
	p := filepath.Join(dir, "kernel/net/netfilter/xt_recent.ko.zst")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(p, data[:len(data)/2], 0o644))
	// As old as modules.dep, so depmod's index is not stale for it.
	dep, err := os.Stat(filepath.Join(dir, "modules.dep"))
	must(err)
	must(os.Chtimes(p, dep.ModTime(), dep.ModTime()))
	mods, err := os.ReadFile(filepath.Join(root, "proc/modules"))
	must(err)
	var kept []string
	for _, l := range strings.Split(string(mods), "\n") {
		if !strings.HasPrefix(l, "xt_recent ") {
			kept = append(kept, l)
		}
	}
	must(os.WriteFile(filepath.Join(root, "proc/modules"), []byte(strings.Join(kept, "\n")), 0o644))
	must(os.RemoveAll(filepath.Join(root, "sys/module/xt_recent")))

	h := hostAt(root)
	s, err := h.Snapshot()
	if s == nil {
		t.Fatal(err)
	}
	defer s.Done()
	d := s.Diagnose(map[string][]string{"xt_recent": {"config"}, "xt_set": {"config"}}, HostFacts{})
	var got []string
	for _, m := range d.Modules {
		for _, c := range m.Causes {
			got = append(got, c.Alert+" "+c.Severity+" module="+c.Labels["module"]+" path="+c.Labels["path"]+" reason="+c.Labels["reason"])
		}
	}
	want := []string{"KmodModuleFileUnreadable critical module=xt_recent path=/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_recent.ko.zst reason=truncated"}
	if !slices.Equal(got, want) {
		t.Errorf("causes %q, want %q", got, want)
	}
	if d.Healthy() {
		t.Error("healthy with an unreadable required module")
	}
}
