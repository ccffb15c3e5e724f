package kmod

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const fixtureTree = "../fixtures/healthy/root/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/"

// The fixture modules hold one file per compression kmod supports. A
// compressed module smaller than the kept prefix is decompressed once:
// debug/elf's reads from 0, then past the section headers, then back to
// .modinfo all come from that one pass.
func TestReadModInfoFile(t *testing.T) {
	for file, wantDeps := range map[string][]string{
		"nf_conntrack.ko.xz": {"libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6"},
		"xt_recent.ko.zst":   {"x_tables"},
		"xt_set.ko.gz":       {"ip_set", "x_tables"},
		"x_tables.ko":        nil,
	} {
		before := decompressions.Load()
		mi, _, err := ReadModInfoFile(fixtureTree + file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if mi.Release() != "6.1.0-18-amd64" || !reflect.DeepEqual(mi.Depends, wantDeps) {
			t.Errorf("%s: release %q depends %v", file, mi.Release(), mi.Depends)
		}
		want := int64(1)
		if filepath.Ext(file) == ".ko" {
			want = 0
		}
		if got := decompressions.Load() - before; got != want {
			t.Errorf("%s: %d decompression passes, want %d", file, got, want)
		}
	}
}

func TestReadModInfoFileCorrupt(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(fixtureTree + "nf_conntrack.ko.xz")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty.ko":    nil,
		"text.ko":     []byte("not an elf at all"),
		"trunc.ko.xz": good[:len(good)/2],
		"badzstd.ko":  append([]byte{0x28, 0xb5, 0x2f, 0xfd}, bytes.Repeat([]byte{0xff}, 64)...),
		"badgzip.ko":  []byte{0x1f, 0x8b, 0, 0},
		"elfhead.ko":  []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ReadModInfoFile(p); err == nil {
			t.Errorf("%s: corrupt module accepted", name)
		}
	}
	if _, _, err := ReadModInfoFile(dir); err == nil {
		t.Error("a directory was read as a module")
	}
}

func FuzzParseModInfo(f *testing.F) {
	good, err := os.ReadFile(fixtureTree + "x_tables.ko")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseModInfo(bytes.NewReader(data))
	})
}

// ReadModInfoFile reads the .modinfo of a module file at a real path. Like
// kmod, it picks the decompressor from the file's magic bytes, not its name.
func ReadModInfoFile(real string) (ModInfo, os.FileInfo, error) {
	f, err := os.Open(real)
	if err != nil {
		return ModInfo{}, nil, err
	}
	defer f.Close()
	return ReadModInfo(f)
}

// TestModInfoRelease: the release is vermagic's first field, whatever
// spaces surround it.
func TestModInfoRelease(t *testing.T) {
	for vermagic, want := range map[string]string{
		"6.1.0-18-amd64 SMP preempt mod_unload modversions ": "6.1.0-18-amd64",
		"  6.12.38+deb13-cloud-amd64\tSMP":                   "6.12.38+deb13-cloud-amd64",
		"6.1.0-18-amd64":                                     "6.1.0-18-amd64",
		"\u00a06.1.0\u2003SMP":                               "6.1.0", // Unicode spaces, as strings.Fields splits them
		"":                                                   "",
		" \n ":                                               "",
	} {
		if got := (ModInfo{Vermagic: vermagic}).Release(); got != want {
			t.Errorf("Release(%q) = %q, want %q", vermagic, got, want)
		}
	}
}
