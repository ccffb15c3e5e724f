package hostfs

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCleanAbs(t *testing.T) {
	for _, p := range []string{"", "/", "a", "/a", "/a/", "/a/b", "//a", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a/.", "/a/..",
		"/a/.b", "/a/..b", "/a/b.", "/.a", "a/b", "/lib/modules/6.1.0-57-amd64/kernel/net/netfilter/xt_recent.ko"} {
		if got, want := cleanAbs(p), path.Clean("/"+p); got != want {
			t.Errorf("cleanAbs(%q) = %q, want %q", p, got, want)
		}
	}
}

func FuzzCleanAbs(f *testing.F) {
	for _, s := range []string{"/a/b", "/a/../b", "//", "/./"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := cleanAbs(p), path.Clean("/"+p); got != want {
			t.Errorf("cleanAbs(%q) = %q, want %q", p, got, want)
		}
	})
}

// memoAnswers is everything a scope says about the files the memo tests
// change, as text.
func memoAnswers(sc *Scope, prefix string) string {
	var b strings.Builder
	for _, p := range []string{"/etc/a.conf", "/etc/missing.conf", "/etc/new/b.conf", "/lib/modules/m.ko", "/etc/link", "/etc/dir", "/etc"} {
		p = prefix + p
		fi, err := sc.Stat(p)
		fmt.Fprintf(&b, "stat %s: %s %v\n", p, describe(fi), errText(err))
		fi, err = sc.Lstat(p)
		fmt.Fprintf(&b, "lstat %s: %s %v\n", p, describe(fi), errText(err))
		link, err := sc.Readlink(p)
		fmt.Fprintf(&b, "readlink %s: %q %v\n", p, link, errText(err))
		fmt.Fprintf(&b, "readable %s: %v\n", p, errText(sc.Readable(p)))
	}
	for _, d := range []string{"/etc", "/etc/dir", "/etc/new", "/lib/modules"} {
		d = prefix + d
		entries, err := sc.ReadDir(d)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name()+":"+e.Type().String())
		}
		fmt.Fprintf(&b, "readdir %s: %v %v\n", d, names, errText(err))
	}
	return strings.ReplaceAll(b.String(), prefix, "")
}

func describe(fi fs.FileInfo) string {
	if fi == nil {
		return "-"
	}
	id := identify(fi)
	return fmt.Sprintf("%s %v size=%d mtime=%d ino=%d", fi.Name(), fi.Mode(), id.size, id.mtime.UnixNano(), id.ino)
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// TestMemoSeesChanges: after each change a host's files can undergo, the
// next scope answers as a root with no memo does; with no change, it asks
// the files nothing.
func TestMemoSeesChanges(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("as root, permission changes do not change Readable's answers")
	}
	changes := []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"rewrite", func(t *testing.T, dir string) { write(t, dir, "etc/a.conf", "longer content\n") }},
		{"touch", func(t *testing.T, dir string) {
			must(t, os.Chtimes(filepath.Join(dir, "etc/a.conf"), time.Unix(1, 0), time.Unix(1, 0)))
		}},
		{"chmod", func(t *testing.T, dir string) { must(t, os.Chmod(filepath.Join(dir, "etc/a.conf"), 0o000)) }},
		{"replace by rename", func(t *testing.T, dir string) {
			write(t, dir, "etc/a.conf.new", "x\n")
			must(t, os.Rename(filepath.Join(dir, "etc/a.conf.new"), filepath.Join(dir, "etc/a.conf")))
		}},
		{"remove", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "etc/a.conf"))) }},
		{"create a missing file", func(t *testing.T, dir string) { write(t, dir, "etc/missing.conf", "y\n") }},
		{"create in a missing directory", func(t *testing.T, dir string) { write(t, dir, "etc/new/b.conf", "z\n") }},
		{"module file rewritten", func(t *testing.T, dir string) { write(t, dir, "usr/lib/modules/m.ko", "ELF2\n") }},
		{"directory link re-pointed", func(t *testing.T, dir string) {
			write(t, dir, "other/modules/m.ko", "other\n")
			must(t, os.Remove(filepath.Join(dir, "lib")))
			must(t, os.Symlink("other", filepath.Join(dir, "lib")))
		}},
		{"final link re-pointed", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "etc/link")))
			must(t, os.Symlink("/usr/lib/modules/m.ko", filepath.Join(dir, "etc/link")))
		}},
		{"link target rewritten", func(t *testing.T, dir string) { write(t, dir, "etc/target", "longer target\n") }},
		{"entry added to a listed directory", func(t *testing.T, dir string) { write(t, dir, "etc/dir/c.conf", "c\n") }},
		{"listed directory made unreadable", func(t *testing.T, dir string) { must(t, os.Chmod(filepath.Join(dir, "etc/dir"), 0o000)) }},
		{"directory replaced", func(t *testing.T, dir string) {
			must(t, os.RemoveAll(filepath.Join(dir, "etc/dir")))
			write(t, dir, "etc/dir/d.conf", "d\n")
		}},
	}
	for _, top := range []string{"root", "slash"} {
		for _, c := range changes {
			t.Run(top+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				write(t, dir, "etc/a.conf", "a\n")
				write(t, dir, "etc/target", "t\n")
				write(t, dir, "etc/dir/b.conf", "b\n")
				write(t, dir, "usr/lib/modules/m.ko", "ELF\n")
				must(t, os.Symlink("usr/lib", filepath.Join(dir, "lib")))
				must(t, os.Symlink("/etc/target", filepath.Join(dir, "etc/link")))
				t.Cleanup(func() { os.Chmod(filepath.Join(dir, "etc/dir"), 0o755) })
				root := NewRoot(dir)
				prefix := ""
				if top == "slash" {
					// The host's own "/": host paths are this machine's.
					root, prefix = NewRoot("/"), dir
					root.memo = newStatMemo("/")
				}
				checkMemo(t, func() string { return memoAnswers(root.Scope(), prefix) },
					func() string { plain := root; plain.memo = nil; return memoAnswers(plain.Scope(), prefix) },
					func() { c.change(t, dir) },
					// Under "/", every lookup goes through /tmp, which
					// other processes change.
					top == "root")
			})
		}
	}
}

// checkMemo: the memo answers as the files do before and after change,
// and (quiet: no one else changes the directories looked up in) asks the
// files nothing when nothing changed.
func checkMemo(t *testing.T, memoed, plain func() string, change func(), quiet bool) {
	t.Helper()
	if memoed := memoed(); memoed != plain() {
		t.Fatalf("before the change, the memo says\n%s\nthe files say\n%s", memoed, plain())
	}
	before := memoComputes.Load()
	again := memoed()
	if n := memoComputes.Load() - before; n != 0 && quiet {
		t.Errorf("with nothing changed, %d answers were asked of the files again", n)
	}
	if again != plain() {
		t.Fatalf("unchanged, the memo says\n%s\nthe files say\n%s", again, plain())
	}
	change()
	if got, want := memoed(), plain(); got != want {
		t.Errorf("after the change, the memo says\n%s\nthe files say\n%s", got, want)
	}
}

func write(t *testing.T, dir, rel, data string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, []byte(data), 0o644))
}

// TestMemoSkipsFilesWithoutEvents: a filesystem whose changes raise no
// inotify event (here /proc) is asked every scope.
func TestMemoSkipsFilesWithoutEvents(t *testing.T) {
	root := NewRoot("/")
	if root.memo == nil {
		t.Fatal("no memo on the host's own root")
	}
	for i := range 3 {
		before := memoComputes.Load()
		if _, err := root.Scope().Stat("/proc/self/stat"); err != nil {
			t.Fatal(err)
		}
		if n := memoComputes.Load() - before; n != 1 {
			t.Errorf("scope %d: /proc/self/stat asked %d times, want 1", i, n)
		}
	}
}

// TestMemoDropsOnlyWhatChanged: a change in one directory drops the
// answers looked up in it, not the others.
func TestMemoDropsOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "var/lib/kubelet/config.yaml", "a\n")
	write(t, dir, "usr/lib/modules/m.ko", "ELF\n")
	must(t, os.Symlink("usr/lib", filepath.Join(dir, "lib")))
	root := NewRoot(dir)
	ask := func() int64 {
		before := memoComputes.Load()
		sc := root.Scope()
		for _, p := range []string{"/var/lib/kubelet/config.yaml", "/lib/modules/m.ko"} {
			if _, err := sc.Stat(p); err != nil {
				t.Fatal(err)
			}
		}
		return memoComputes.Load() - before
	}
	if n := ask(); n != 2 {
		t.Fatalf("first scope asked %d answers, want 2", n)
	}
	write(t, dir, "var/lib/kubelet/cpu_manager_state", "{}\n")
	if n := ask(); n != 1 {
		t.Errorf("after a file was added to /var/lib/kubelet, %d answers were asked again, want 1", n)
	}
	if n := ask(); n != 0 {
		t.Errorf("with nothing changed, %d answers were asked again", n)
	}
}

// TestAskedStandsStillOnlyWhileNothingChanged: Root.Asked moves when a
// file is asked anything (to fill the memo or directly) and when a change
// drops answers, and only then.
func TestAskedStandsStillOnlyWhileNothingChanged(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "etc/modprobe.d/a.conf", "blacklist x\n")
	write(t, dir, "lib/modules/m.ko", "ELF\n")
	root := NewRoot(dir)
	asked := func() uint64 {
		t.Helper()
		n, ok := root.Asked()
		if !ok {
			t.Fatal("a root with a memo cannot say whether it was asked")
		}
		return n
	}
	scope := func() *Scope {
		sc := root.Scope()
		t.Cleanup(sc.Close)
		for _, p := range []string{"/etc/modprobe.d/a.conf", "/etc/modprobe.d", "/lib/modules/m.ko"} {
			if _, err := sc.Stat(p); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sc.ReadDir("/etc/modprobe.d"); err != nil {
			t.Fatal(err)
		}
		return sc
	}
	before := asked()
	scope()
	if asked() == before {
		t.Fatal("the first questions did not move the count")
	}
	steps := []struct {
		what  string
		act   func()
		moves bool
	}{
		{"the same questions again", func() { scope() }, false},
		{"a file read directly", func() {
			if _, _, err := root.ReadFile("/lib/modules/m.ko", 1<<10); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"the same questions once more", func() { scope() }, false},
		{"a file rewritten", func() { write(t, dir, "etc/modprobe.d/a.conf", "blacklist y\n"); scope() }, true},
		{"quiet again", func() { scope() }, false},
		{"a file added to a listed directory", func() { write(t, dir, "etc/modprobe.d/b.conf", ""); scope() }, true},
		{"a module file touched", func() {
			now := time.Now()
			must(t, os.Chtimes(filepath.Join(dir, "lib/modules/m.ko"), now, now))
			scope()
		}, true},
		{"quiet at last", func() { scope() }, false},
		// The answers dropped move it, before anything is asked again.
		{"a change seen when a scope begins", func() {
			write(t, dir, "etc/modprobe.d/a.conf", "blacklist z\n")
			root.Scope().Close()
		}, true},
	}
	for _, st := range steps {
		n := asked()
		st.act()
		if moved := asked() != n; moved != st.moves {
			t.Errorf("%s: the count moved %v, want %v", st.what, moved, st.moves)
		}
	}
	if _, ok := root.ByHand().Asked(); ok {
		t.Error("a root without a memo says it can tell whether it was asked")
	}
}
