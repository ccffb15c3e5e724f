package hostfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// readBoth reads p through a Dir (a kept descriptor where one serves) and
// by opening it anew (readFresh, the reference), and fails unless both give
// the same bytes or the same error.
func readBoth(t *testing.T, d Dir, rel string, limit int64) []byte {
	t.Helper()
	got, _, gotErr := d.ReadFile(rel, limit)
	want, wantErr := readFresh(d.Path(rel), limit)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
		t.Fatalf("%s: kept read %q, %v; opening it reads %q, %v", rel, got, gotErr, want, wantErr)
	}
	return got
}

// readFresh opens the path, reads it and closes it again.
func readFresh(p string, limit int64) ([]byte, error) {
	fd, data, _, err := openRead(p, limit)
	if fd >= 0 {
		unix.Close(fd)
	}
	return data, err
}

func kept(p string) *keptFile {
	v, ok := keptFiles.Load(p)
	if !ok {
		return nil
	}
	return v.(*keptFile)
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(entries)
}

// A file kept open reads what opening its path reads, through every way
// the path can change under it.
func TestKeptFileReadsAsOpening(t *testing.T) {
	dir := t.TempDir()
	d := NewDir(dir)
	p := d.Path("f")
	const limit = 8192
	steps := []struct {
		name   string
		change func()
		want   string // "" for an error
	}{
		{"first read", func() { writeFile(t, p, "one\n") }, "one\n"},
		{"rewritten in place", func() { must(t, os.WriteFile(p, []byte("two two\n"), 0o644)) }, "two two\n"},
		{"grown past the last read", func() { must(t, os.WriteFile(p, bytes.Repeat([]byte("x"), 5000), 0o644)) }, strings.Repeat("x", 5000)},
		{"shrunk", func() { must(t, os.WriteFile(p, []byte("3"), 0o644)) }, "3"},
		{"replaced by another file", func() {
			writeFile(t, p+".new", "four\n")
			must(t, os.Rename(p+".new", p))
		}, "four\n"},
		{"over the bound", func() { must(t, os.WriteFile(p, bytes.Repeat([]byte("y"), limit+1), 0o644)) }, ""},
		{"back under it", func() { must(t, os.WriteFile(p, []byte("five\n"), 0o644)) }, "five\n"},
		{"removed", func() { must(t, os.Remove(p)) }, ""},
		{"a FIFO", func() { must(t, unix.Mkfifo(p, 0o644)) }, ""},
		{"a directory", func() {
			must(t, os.Remove(p))
			must(t, os.Mkdir(p, 0o755))
		}, ""},
		{"a file again", func() {
			must(t, os.Remove(p))
			writeFile(t, p, "six\n")
		}, "six\n"},
	}
	for _, s := range steps {
		s.change()
		got := readBoth(t, d, "f", limit)
		if s.want != "" && string(got) != s.want {
			t.Fatalf("%s: read %q, want %q", s.name, got, s.want)
		}
		if k := kept(p); (k != nil) != (s.want != "") {
			t.Fatalf("%s: kept %v, want kept only after a good read", s.name, k != nil)
		}
	}
	before := openFDs(t)
	for range 100 {
		readBoth(t, d, "f", limit)
	}
	if k := kept(p); k == nil || k.procfs || k.fd < 0 {
		t.Fatalf("kept %+v, want an open descriptor of a regular file", k)
	}
	// readFresh opens and closes; the kept descriptor is the one open.
	if after := openFDs(t); after != before {
		t.Errorf("open descriptors %d after 100 reads, %d before", after, before)
	}
}

// The host's procfs is read again through the kept descriptor, including
// files longer than the page the kernel writes them a page at a time.
func TestKeptProcfsReadsAsOpening(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs("/proc", &st); err != nil || st.Type != unix.PROC_SUPER_MAGIC {
		t.Skip("/proc is not a procfs here")
	}
	d := NewDir("/proc")
	for _, rel := range []string{"sys/kernel/osrelease", "filesystems", "crypto"} {
		if _, err := os.Stat(d.Path(rel)); err != nil {
			t.Logf("%s: %v", rel, err)
			continue
		}
		first := readBoth(t, d, rel, 1<<20)
		k := kept(d.Path(rel))
		if k == nil || !k.procfs {
			t.Fatalf("%s: kept %+v, want a procfs descriptor", rel, k)
		}
		fd := k.fd
		if again := readBoth(t, d, rel, 1<<20); !bytes.Equal(again, first) {
			t.Fatalf("%s changed between reads", rel)
		}
		if k2 := kept(d.Path(rel)); k2 != k || k2.fd != fd {
			t.Fatalf("%s: opened again", rel)
		}
		if rel == "crypto" && len(first) <= 4096 {
			t.Logf("crypto is %d bytes: the multi-page read is not exercised", len(first))
		}
	}
	// A kept file read with a smaller bound than its content fails as a
	// first read would.
	if _, err := os.Stat("/proc/filesystems"); err == nil {
		_, _, err := d.ReadFile("filesystems", 16)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("filesystems with a 16-byte bound: %v, want ErrTooLarge", err)
		}
		readBoth(t, d, "filesystems", 1<<20)
	}
}

// Past maxKept files, reads open and close as before, and read right.
func TestKeptFilesBounded(t *testing.T) {
	dir := t.TempDir()
	d := NewDir(dir)
	for i := range maxKept + 10 {
		rel := fmt.Sprintf("f%d", i)
		writeFile(t, filepath.Join(dir, rel), rel)
		if got := readBoth(t, d, rel, 64); string(got) != rel {
			t.Fatalf("%s: read %q", rel, got)
		}
	}
	if n := keptCount.Load(); n > maxKept {
		t.Fatalf("%d files kept, bound %d", n, maxKept)
	}
	// Dropped files free their place.
	for i := range maxKept + 10 {
		must(t, os.Remove(filepath.Join(dir, fmt.Sprintf("f%d", i))))
		_, _, err := d.ReadFile(fmt.Sprintf("f%d", i), 64)
		if !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("removed f%d: %v", i, err)
		}
	}
	for i := range maxKept + 10 {
		if kept(filepath.Join(dir, fmt.Sprintf("f%d", i))) != nil {
			t.Fatalf("f%d still kept after it was removed and read", i)
		}
	}
}

// sysfs files are read by opening them each time: a descriptor held on a
// module's attribute would outlive the module.
func TestKeptNotSysfs(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys", &st); err != nil || st.Type != unix.SYSFS_MAGIC {
		t.Skip("/sys is not a sysfs here")
	}
	d := NewDir("/sys")
	for _, rel := range []string{"kernel/address_bits", "kernel/profiling", "kernel/cpu_byteorder"} {
		if _, err := os.Stat(d.Path(rel)); err != nil {
			continue
		}
		readBoth(t, d, rel, 4096)
		readBoth(t, d, rel, 4096)
		if k := kept(d.Path(rel)); k != nil {
			t.Errorf("%s kept open", rel)
		}
		return
	}
	t.Skip("no sysfs file to read here")
}
