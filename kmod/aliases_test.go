package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAliasIndexHeldWhileUsed: a snapshot that looks no alias up lets the
// host drop the modules.alias parse; the next that needs it parses it
// again and answers as before; a changed file is parsed, and a bad one
// reported, by the first snapshot that sees it, dropped or not.
func TestAliasIndexHeldWhileUsed(t *testing.T) {
	root := copyTree(t, "healthy")
	aliases := filepath.Join(root, "root/lib/modules/6.1.0-18-amd64/modules.alias")
	hostPath := "/lib/modules/6.1.0-18-amd64/modules.alias"
	h := hostAt(root)
	kept := func() bool {
		fi, err := os.Stat(aliases)
		if err != nil {
			t.Fatal(err)
		}
		idx, ok := h.aliasCache.Peek(hostPath, fi)
		return ok && idx != nil
	}
	scrape := func(name string) ([]string, error) {
		t.Helper()
		s, err := readSnapshot(t, h)
		if s == nil {
			t.Fatal(err)
		}
		defer s.Done()
		if name == "" {
			return nil, err
		}
		return s.Resolve(name), err
	}
	if got, err := scrape("xt_recent"); err != nil || !slices.Equal(got, []string{"xt_recent"}) {
		t.Fatalf("xt_recent: %q, %v", got, err)
	}
	if kept() {
		t.Error("the parse is kept after a snapshot that looked no alias up")
	}
	for i := range 2 {
		if got, err := scrape("ipt_recent"); err != nil || !slices.Equal(got, []string{"xt_recent"}) {
			t.Errorf("scrape %d: ipt_recent resolves to %q (%v), want xt_recent", i, got, err)
		}
		if !kept() {
			t.Errorf("scrape %d: the parse is not kept while snapshots use it", i)
		}
	}
	scrape("")
	// A changed file is parsed by the first snapshot that sees it.
	data, err := os.ReadFile(aliases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(aliases, append(data, "alias ipt_newmatch xt_recent\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := scrape(""); err != nil {
		t.Fatal(err)
	}
	if got, _ := scrape("ipt_newmatch"); !slices.Equal(got, []string{"xt_recent"}) {
		t.Errorf("ipt_newmatch after the file changed: %q", got)
	}
	// A bad file is reported by every snapshot, whether or not it looks up
	// an alias.
	if err := os.WriteFile(aliases, []byte("alias\x00\xff broken\n"+strings.Repeat("\xfe", 64)), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := scrape(""); err == nil || !strings.Contains(err.Error(), "modules.alias") {
			t.Errorf("scrape %d of a bad modules.alias: %v", i, err)
		}
	}
}
