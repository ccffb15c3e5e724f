package hostfs

import (
	"errors"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, p, content string) { testenv.WriteFile(t, p, content) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRootConfinesLinks(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.conf"), "blacklist leaked\n")
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "usr/lib/modprobe.d/real.conf"), "blacklist inside\n")
	// An absolute link is resolved inside the root, as on the host.
	if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc/modprobe.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	must(t, os.Symlink("/usr/lib/modprobe.d/real.conf", filepath.Join(root, "etc/modprobe.d/abs.conf")))
	must(t, os.Symlink("../../../../../../../../"+outside+"/secret.conf", filepath.Join(root, "etc/modprobe.d/escape.conf")))
	must(t, os.Symlink("loop2.conf", filepath.Join(root, "etc/modprobe.d/loop1.conf")))
	must(t, os.Symlink("loop1.conf", filepath.Join(root, "etc/modprobe.d/loop2.conf")))
	r := NewRoot(root)
	got, err := r.Resolve("/etc/modprobe.d/abs.conf")
	if err != nil || got != filepath.Join(root, "usr/lib/modprobe.d/real.conf") {
		t.Errorf("absolute link: %q %v", got, err)
	}
	got, err = r.Resolve("/etc/modprobe.d/escape.conf")
	if err != nil || !strings.HasPrefix(got, root+"/") {
		t.Errorf("escaping link left the root: %q %v", got, err)
	}
	if _, err := r.Resolve("/etc/modprobe.d/loop1.conf"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("link loop: %v", err)
	}
	if got, _ := r.Resolve("/../../etc/../lib/modprobe.d"); got != filepath.Join(root, "usr/lib/modprobe.d") {
		t.Errorf(".. above the root: %q", got)
	}
	// The same rules hold for reads, which use openat2 where the kernel has it.
	if !r.InKernel() {
		t.Log("openat2 RESOLVE_IN_ROOT unavailable: reads resolve by hand")
	}
	if data, _, err := r.ReadFile("/etc/modprobe.d/abs.conf", 100); err != nil || string(data) != "blacklist inside\n" {
		t.Errorf("read through an absolute link: %q %v", data, err)
	}
	if data, _, err := r.ReadFile("/etc/modprobe.d/escape.conf", 100); err == nil {
		t.Errorf("read outside the root: %q", data)
	}
	if _, _, err := r.ReadFile("/etc/modprobe.d/loop1.conf", 100); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("link loop: %v", err)
	}
	if entries, err := r.ReadDir("/lib/modprobe.d"); err != nil || len(entries) != 1 || entries[0].Name() != "real.conf" {
		t.Errorf("ReadDir through a link: %v %v", entries, err)
	}
	if target, err := r.Readlink("/etc/modprobe.d/abs.conf"); err != nil || target != "/usr/lib/modprobe.d/real.conf" {
		t.Errorf("Readlink: %q %v", target, err)
	}
	// And by hand, where the kernel cannot.
	manual := NewRoot(root).ByHand()
	if data, _, err := manual.ReadFile("/etc/modprobe.d/abs.conf", 100); err != nil || string(data) != "blacklist inside\n" {
		t.Errorf("manual read through an absolute link: %q %v", data, err)
	}
	if data, _, err := manual.ReadFile("/etc/modprobe.d/escape.conf", 100); err == nil {
		t.Errorf("manual read outside the root: %q", data)
	}
}
