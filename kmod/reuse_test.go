package kmod

// A snapshot is taken again by the next scrape only while nothing it read
// changed: after any change, its answers are those of a host read afresh.

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// reuseAnswers is what a scrape asks of a snapshot: module statuses and
// the requirements resolved.
type reuseAnswers struct {
	Modules  map[string]ModuleStatus
	Required map[string][]string
	Files    []SourceFile
}

// takeSnapshot reads a snapshot through a new view of h, as a scrape
// does, answers names and spec, and ends the snapshot's use.
func takeSnapshot(t *testing.T, h *Host, names []string, spec RequirementSpec) (*Snapshot, reuseAnswers) {
	t.Helper()
	v := h.View()
	defer v.Release()
	s, err := v.Snapshot()
	if s == nil {
		t.Fatal(err)
	}
	defer s.Done()
	a := reuseAnswers{Modules: map[string]ModuleStatus{}}
	for _, n := range names {
		st := s.Module(n)
		st.FileErr = nil // compared by FileRelease and OnDisk: an error's pointer differs between hosts
		a.Modules[n] = st
	}
	set := s.Requirements(spec, v.IptablesBackend())
	a.Required = s.Resolved(set)
	a.Files = s.SourceFiles(spec)
	for i := range a.Files {
		a.Files[i].Err = nil
	}
	return s, a
}

func TestSnapshotTakenAgainOnlyWhileUnchanged(t *testing.T) {
	// Names modules.dep lists are answered from the root's files alone;
	// the others walk the release's tree, which has a watch of its own.
	indexed := []string{"nf_conntrack", "xt_recent", "xt_state", "ip_tables", "nf_nat", "ipv6"}
	t.Run("indexed", func(t *testing.T) { testSnapshotReuse(t, indexed) })
	t.Run("walked", func(t *testing.T) { testSnapshotReuse(t, append(indexed, "xt_comment", "no_such_module")) })
}

func testSnapshotReuse(t *testing.T, names []string) {
	d := copyTree(t, "healthy")
	proc, sys, root := filepath.Join(d, "proc"), filepath.Join(d, "sys"), filepath.Join(d, "root")
	paths := Paths{Proc: proc, Sys: sys, Root: root}
	h := NewHost(paths)
	spec := RequirementSpec{
		Modules:  []Requirement{{Name: "nf_conntrack", Source: "flag"}, {Name: "ipt_recent", Source: "flag"}},
		Rulesets: RulesetPaths(DefaultRulesets...),
	}
	// check takes the snapshot twice after a change: the first read after
	// it is a new snapshot, the second takes that one again; both answer as
	// a host that never read the files.
	var last *Snapshot
	check := func(what string, wantNew bool) {
		t.Helper()
		s, got := takeSnapshot(t, h, names, spec)
		_, want := takeSnapshot(t, NewHost(paths), names, spec)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: answers differ from a fresh host's:\n got %+v\nwant %+v", what, got, want)
		}
		if wantNew && s == last {
			t.Errorf("%s: the snapshot before the change was taken again", what)
		}
		last = s
		again, got := takeSnapshot(t, h, names, spec)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s, read again: answers differ from a fresh host's:\n got %+v\nwant %+v", what, got, want)
		}
		if again != s {
			// The first snapshot after a change asked the files; the one
			// after it asks nothing, and is taken from then on.
			third, _ := takeSnapshot(t, h, names, spec)
			if third != again {
				t.Errorf("%s: nothing changed, yet the snapshot was read anew three times", what)
			}
			again = third
		}
		last = again
	}
	check("first reads", false)

	steps := []struct {
		what   string
		change func()
		// concerns: the name whose answer the change is about, when the
		// snapshot read nothing it changes unless that name is asked.
		concerns string
	}{
		{"a blacklist line added", func() {
			writeFile(t, filepath.Join(root, "etc/modprobe.d/fw.conf"), "blacklist nf_conntrack\n")
		}, ""},
		{"/proc/modules without xt_recent", func() {
			dropLines(t, filepath.Join(proc, "modules"), func(l string) bool { return strings.HasPrefix(l, "xt_recent ") })
		}, ""},
		{"module_blacklist= on the command line", func() {
			writeFile(t, filepath.Join(proc, "cmdline"), "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 ro module_blacklist=xt_state\n")
		}, ""},
		{"a built-in module in /sys/module", func() {
			must(t, os.MkdirAll(filepath.Join(sys, "module/xt_comment/parameters"), 0o755))
		}, "xt_comment"},
		{"the module's file replaced by another release's build", func() { replaceWithOtherBuild(t, root) }, ""},
		{"modules.dep no longer lists xt_recent, its file still on disk", func() {
			dropLines(t, filepath.Join(root, "lib/modules/6.1.0-18-amd64/modules.dep"), func(l string) bool { return strings.Contains(l, "/xt_recent.ko") })
		}, ""},
		{"a file added to the tree modules.dep does not list", func() {
			writeFile(t, filepath.Join(root, "lib/modules/6.1.0-18-amd64/updates/nf_nat.ko"), "not an ELF file")
		}, ""},
		{"another kernel installed", func() {
			must(t, os.MkdirAll(filepath.Join(root, "lib/modules/6.1.0-19-amd64"), 0o755))
		}, ""},
		{"the running release changed", func() {
			writeFile(t, filepath.Join(proc, "sys/kernel/osrelease"), "6.1.0-19-amd64\n")
		}, ""},
	}
	for _, st := range steps {
		st.change()
		check(st.what, st.concerns == "" || slices.Contains(names, st.concerns))
	}
}

// dropLines rewrites the file at p without the lines drop says to drop.
func dropLines(t *testing.T, p string, drop func(line string) bool) {
	t.Helper()
	data, err := os.ReadFile(p)
	must(t, err)
	var kept []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !drop(l) {
			kept = append(kept, l)
		}
	}
	writeFile(t, p, strings.Join(kept, ""))
}

// A snapshot still in use by a scrape (a collector past its deadline) is
// not handed to the next.
func TestSnapshotInUseNotTakenAgain(t *testing.T) {
	d := copyTree(t, "healthy")
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
	var prev *Snapshot
	for range 3 {
		prev, _ = takeSnapshot(t, h, []string{"nf_conntrack"}, RequirementSpec{})
	}
	v := h.View()
	defer v.Release()
	held, err := v.Snapshot()
	must(t, err)
	if held != prev {
		t.Fatal("an unchanged host's snapshot was not taken again")
	}
	v2 := h.View()
	defer v2.Release()
	other, err := v2.Snapshot()
	must(t, err)
	if other == held {
		t.Error("a snapshot in use was handed to a second scrape")
	}
	other.Done()
	held.Done()
}
