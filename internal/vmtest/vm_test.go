// Package vmtest boots real Debian kernels under QEMU (TCG) so that a
// booted kernel, not a fixture, judges the exporter's verdicts.
//
// A guest is a kernel, an initramfs made of layers (the guest root built
// from Debian packages by .ci/vmdata, module trees, and the files a test
// adds), a command line and a shell script. The script runs as root with
// /proc, /sys and /dev mounted; whatever it leaves under /vmtest/out comes
// back as Result.Files, with its exit status. The package is test files
// only: the harness starts processes, which the project keeps out of every
// non-test file.
package vmtest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// Kernel is one unpacked Debian kernel package.
type Kernel struct {
	Release string
	Dir     string // holds vmlinuz, config and lib/modules/<Release>
}

// Image is the kernel's bzImage.
func (k Kernel) Image() string { return filepath.Join(k.Dir, "vmlinuz") }

// Tree is the layer that installs this kernel's modules and config.
func (k Kernel) Tree() Layer {
	return Layer{Host: k.Dir, Guest: "/", Skip: []string{"vmlinuz", "config", ".done"},
		Files: []File{{Path: "/boot/config-" + k.Release, HostPath: filepath.Join(k.Dir, "config")}}}
}

// CacheDir is where .ci/vmdata leaves the kernels and the guest root.
func CacheDir() string { return filepath.Join(testenv.RepoDir(), "testdata", "cache", "vm") }

// Kernels returns the cached kernels, oldest release first, or skips (fails
// under CI) when the cache or QEMU is missing.
func Kernels(t testing.TB) []Kernel {
	t.Helper()
	testenv.Tool(t, "qemu-system-x86_64")
	dirs, _ := filepath.Glob(filepath.Join(CacheDir(), "kernels", "*"))
	var out []Kernel
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, ".done")); err == nil {
			out = append(out, Kernel{Release: filepath.Base(d), Dir: d})
		}
	}
	if _, err := os.Stat(filepath.Join(CacheDir(), "root", ".done")); len(out) < 2 || err != nil {
		testenv.Missing(t, "the VM kernels and guest root in testdata/cache/vm", "run `make vmdata` (needs Debian's package archive)")
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].Release, out[j].Release) })
	return out
}

// versionLess orders releases like 6.1.0-57 before 6.12.117 (numerically).
func versionLess(a, b string) bool {
	fa := strings.FieldsFunc(a, func(r rune) bool { return r < '0' || r > '9' })
	fb := strings.FieldsFunc(b, func(r rune) bool { return r < '0' || r > '9' })
	for i := 0; i < len(fa) && i < len(fb); i++ {
		x, _ := strconv.Atoi(fa[i])
		y, _ := strconv.Atoi(fb[i])
		if x != y {
			return x < y
		}
	}
	return len(fa) < len(fb)
}

// RootLayer is the guest root of Debian packages.
func RootLayer() Layer {
	return Layer{Host: filepath.Join(CacheDir(), "root"), Guest: "/", Skip: []string{".done"}}
}

// Layer copies a host directory (if Host is set) and files into the guest;
// later layers win.
type Layer struct {
	Host, Guest string
	Skip        []string // paths relative to Host left out
	Files       []File
}

// File is one file in the guest: from Data, or copied from HostPath.
type File struct {
	Path     string // in the guest
	Data     []byte
	HostPath string
	Link     string      // a symbolic link to this target instead
	Mode     os.FileMode // 0 means 0644 (0755 for HostPath executables)
}

// Spec is one boot.
type Spec struct {
	Name    string // for logs
	Kernel  Kernel
	Layers  []Layer
	Cmdline string // appended to the harness's own
	Script  string // shell script run by dash as root
	Memory  int    // MiB; 0 means 512
	Timeout time.Duration
	// Init "systemd" boots /lib/systemd/systemd as PID 1 (the root must
	// have it); the script then runs as the unit vmtest.service.
	Init string
}

// Result is what a boot left behind.
type Result struct {
	Exit     int               // the script's exit status
	Files    map[string][]byte // /vmtest/out, by relative path
	Console  string            // the serial console
	Duration time.Duration
}

// File returns an output file as a string ("" if absent).
func (r *Result) File(name string) string { return string(r.Files[name]) }

const busyboxInit = `#!/bin/busybox sh
/bin/busybox --install -s /bin 2>/dev/null
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec /vmtest/run
`

// runner runs the script with dash, Debian's /bin/sh (busybox's shell
// would run its own modprobe applet instead of kmod's), and sends /vmtest/out to the second serial port
// as base64 of a gzipped tar between markers.
const runner = `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
ip link set lo up 2>/dev/null
stty -F /dev/ttyS1 raw -echo 2>/dev/null
mkdir -p /vmtest/out
cd /vmtest
/bin/dash /vmtest/script > /vmtest/out/script.log 2>&1
echo $? > /vmtest/out/exit
cd /vmtest/out
{ echo "VMTEST-BEGIN"; tar czf - . | base64; echo "VMTEST-END"; } > /dev/ttyS1
sync
echo o > /proc/sysrq-trigger
sleep 30
`

const systemdUnit = `[Unit]
Description=vmtest script
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/vmtest/run
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
`

// Boot runs one guest to completion. A guest that does not finish within
// the timeout fails the test with the tail of its console.
func Boot(t testing.TB, s Spec) *Result {
	t.Helper()
	if s.Memory == 0 {
		s.Memory = 512
	}
	if s.Timeout == 0 {
		s.Timeout = 8 * time.Minute
	}
	dir := t.TempDir()
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := writeInitrd(initrd, s); err != nil {
		t.Fatalf("%s: building the initramfs: %v", s.Name, err)
	}
	console, data := filepath.Join(dir, "console.log"), filepath.Join(dir, "data.log")
	cmdline := "console=ttyS0 panic=-1 loglevel=4 " + s.Cmdline
	if s.Init == "systemd" {
		cmdline += " rdinit=/lib/systemd/systemd systemd.unit=multi-user.target"
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", "-accel", "tcg", "-m", strconv.Itoa(s.Memory),
		"-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
		"-serial", "file:"+console, "-serial", "file:"+data,
		"-kernel", s.Kernel.Image(), "-initrd", initrd, "-append", cmdline)
	out, err := cmd.CombinedOutput()
	r := &Result{Duration: time.Since(start)}
	con, _ := os.ReadFile(console)
	r.Console = string(con)
	if ctx.Err() != nil {
		t.Fatalf("%s: the guest did not finish within %v; console tail:\n%s", s.Name, s.Timeout, tail(r.Console, 40))
	}
	if err != nil {
		t.Fatalf("%s: qemu: %v\n%s\nconsole tail:\n%s", s.Name, err, out, tail(r.Console, 40))
	}
	raw, _ := os.ReadFile(data)
	files, err := decodeOutput(raw)
	if err != nil {
		t.Fatalf("%s: reading the guest's output: %v; console tail:\n%s", s.Name, err, tail(r.Console, 40))
	}
	r.Files = files
	r.Exit, err = strconv.Atoi(strings.TrimSpace(string(files["exit"])))
	if err != nil {
		t.Fatalf("%s: no exit status from the script; console tail:\n%s", s.Name, tail(r.Console, 40))
	}
	t.Logf("%s: booted %s, script exit %d, %.1fs", s.Name, s.Kernel.Release, r.Exit, r.Duration.Seconds())
	return r
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// decodeOutput unpacks what the runner wrote to the data port.
func decodeOutput(raw []byte) (map[string][]byte, error) {
	text := strings.ReplaceAll(string(raw), "\r", "")
	i := strings.Index(text, "VMTEST-BEGIN\n")
	j := strings.Index(text, "VMTEST-END")
	if i < 0 || j < i {
		return nil, errors.New("no complete output block on the data port")
	}
	gz, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(text[i+len("VMTEST-BEGIN\n"):j], "\n", ""))
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tar: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("tar: %w", err)
		}
		files[strings.TrimPrefix(h.Name, "./")] = b
	}
}

// writeInitrd lays the layers, then the harness's own files, into one
// newc archive.
func writeInitrd(path string, s Spec) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := &cpioWriter{w: bufio.NewWriterSize(f, 1<<20), seen: map[string]bool{}}
	var own []File
	own = append(own, File{Path: "/vmtest/script", Data: []byte(s.Script), Mode: 0o755},
		File{Path: "/vmtest/run", Data: []byte(runner), Mode: 0o755})
	if s.Init == "systemd" {
		own = append(own, File{Path: "/etc/systemd/system/vmtest.service", Data: []byte(systemdUnit)},
			File{Path: "/etc/systemd/system/multi-user.target.wants/vmtest.service", Link: "../vmtest.service"},
			// No udev in the guest: the serial getty would wait 90 s for
			// its device, and the console is the harness's.
			File{Path: "/etc/systemd/system/serial-getty@ttyS0.service", Link: "/dev/null"},
			File{Path: "/etc/systemd/system/serial-getty@ttyS1.service", Link: "/dev/null"})
	} else {
		own = append(own, File{Path: "/init", Data: []byte(busyboxInit), Mode: 0o755})
	}
	// The kernel's unpacker replaces a path written earlier in the
	// archive, so later layers win.
	for _, l := range s.Layers {
		if err := w.addLayer(l); err != nil {
			f.Close()
			return err
		}
	}
	for _, file := range own {
		if err := w.addFile(file); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
