package e2e

import (
	"bytes"
	"debug/elf"
	le "encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// hostileCase damages a copy of the healthy host. The scrape must still
// answer 200; the collectors in fail report success 0 with logged in the
// log, and every other collector reports 1.
type hostileCase struct {
	name    string
	damage  func(t *testing.T, host string)
	fail    []string
	logged  string
	extra   []string // lines the scrape must contain
	missing []string // lines it must not
}

const release = "6.1.0-18-amd64"

func modDir(host string) string { return filepath.Join(host, "root/lib/modules", release) }

func writeHostile(t *testing.T, p string, data []byte) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(t, os.WriteFile(p, data, 0o644))
}

func sparse(t *testing.T, p string, size int64) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(p), 0o755))
	f, err := os.Create(p)
	must(t, err)
	must(t, f.Truncate(size))
	f.Close()
}

func junk(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(int64(n))).Read(b)
	return b
}

var hostileCases = []hostileCase{
	{name: "100 MiB modprobe.d file", damage: func(t *testing.T, h string) { sparse(t, filepath.Join(h, "root/etc/modprobe.d/huge.conf"), 100<<20) },
		fail: []string{"modules"}, logged: "huge.conf"},
	{name: "binary modprobe.d file", damage: func(t *testing.T, h string) {
		writeHostile(t, filepath.Join(h, "root/etc/modprobe.d/junk.conf"), junk(64<<10))
	},
		extra: []string{`kmod_module_loaded{module="nf_conntrack"} 1`}},
	{name: "1 MiB line in modprobe.d", damage: func(t *testing.T, h string) {
		writeHostile(t, filepath.Join(h, "root/etc/modprobe.d/long.conf"), []byte("blacklist "+strings.Repeat("x", 1<<20)+"\nblacklist xt_set\n"))
	}, extra: []string{`kmod_module_blacklisted{module="xt_set"} 1`}},
	{name: "100 MiB modules-load.d file", damage: func(t *testing.T, h string) {
		sparse(t, filepath.Join(h, "root/etc/modules-load.d/huge.conf"), 100<<20)
	},
		fail: []string{"modules"}, logged: "huge.conf"},
	{name: "100 MiB modules.dep", damage: func(t *testing.T, h string) { sparse(t, filepath.Join(modDir(h), "modules.dep"), 100<<20) },
		fail: []string{"modules"}, logged: "modules.dep"},
	{name: "truncated .ko.zst", damage: func(t *testing.T, h string) {
		p := filepath.Join(modDir(h), "kernel/net/netfilter/xt_recent.ko.zst")
		data, err := os.ReadFile(p)
		must(t, err)
		writeHostile(t, p, data[:len(data)/2])
	}, logged: "xt_recent.ko.zst", extra: []string{`kmod_module_file_error{module="xt_recent",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_recent.ko.zst",reason="truncated"} 1`},
		missing: []string{`kmod_module_release_match{module="xt_recent"}`}},
	{name: "binary modules-load.d file", damage: func(t *testing.T, h string) {
		writeHostile(t, filepath.Join(h, "root/etc/modules-load.d/junk.conf"), append(junk(4096), []byte("\n../../etc/passwd\nnul\x00name\n"+strings.Repeat("a", 10000)+"\n")...))
	}, missing: []string{"etc/passwd"}},
	{name: "100 MiB /proc/modules", damage: func(t *testing.T, h string) { sparse(t, filepath.Join(h, "proc/modules"), 100<<20) },
		fail: []string{"modules"}, logged: "proc/modules"},
	{name: "binary /proc/modules", damage: func(t *testing.T, h string) { writeHostile(t, filepath.Join(h, "proc/modules"), junk(8192)) },
		fail: []string{"modules"}, logged: "proc/modules"},
	{name: "module names with / .. NUL in /proc/modules", damage: func(t *testing.T, h string) {
		writeHostile(t, filepath.Join(h, "proc/modules"), []byte("../../x 1 0 - Live 0x0\na/b 1 0 - Live 0x0\nn\x00ul 1 0 - Live 0x0\n"+strings.Repeat("z", 10000)+" 1 0 - Live 0x0\n"))
	}, fail: []string{"modules"}, logged: "proc/modules"},
	{name: "truncated modules.dep", damage: func(t *testing.T, h string) {
		data, err := os.ReadFile(filepath.Join(modDir(h), "modules.dep"))
		must(t, err)
		writeHostile(t, filepath.Join(modDir(h), "modules.dep"), data[:len(data)/2])
	}, fail: []string{"modules"}, logged: "modules.dep"},
	{name: "100 MiB modules.alias", damage: func(t *testing.T, h string) { sparse(t, filepath.Join(modDir(h), "modules.alias"), 100<<20) },
		fail: []string{"modules"}, logged: "modules.alias"},
	{name: "binary modules.alias", damage: func(t *testing.T, h string) { writeHostile(t, filepath.Join(modDir(h), "modules.alias"), junk(16<<10)) },
		fail: []string{"modules"}, logged: "modules.alias"},
	{name: "directory where modules.dep should be", damage: func(t *testing.T, h string) {
		must(t, os.Remove(filepath.Join(modDir(h), "modules.dep")))
		must(t, os.MkdirAll(filepath.Join(modDir(h), "modules.dep"), 0o755))
	}, fail: []string{"modules"}, logged: "modules.dep"},
	{name: "directory where /proc/modules should be", damage: func(t *testing.T, h string) {
		must(t, os.Remove(filepath.Join(h, "proc/modules")))
		must(t, os.MkdirAll(filepath.Join(h, "proc/modules"), 0o755))
	}, fail: []string{"modules"}, logged: "proc/modules"},
	{name: "symlink loop in modprobe.d", damage: func(t *testing.T, h string) {
		d := filepath.Join(h, "root/etc/modprobe.d")
		must(t, os.Symlink("b.conf", filepath.Join(d, "a.conf")))
		must(t, os.Symlink("a.conf", filepath.Join(d, "b.conf")))
	}, fail: []string{"modules"}, logged: "a.conf"},
	{name: "symlink loop for modules.dep", damage: func(t *testing.T, h string) {
		must(t, os.Remove(filepath.Join(modDir(h), "modules.dep")))
		must(t, os.Symlink("modules.dep", filepath.Join(modDir(h), "modules.dep")))
	}, fail: []string{"modules"}, logged: "modules.dep", extra: []string{"kmod_kernel_modules_dep_present 0"}},
	{name: "link out of the root in modprobe.d", damage: func(t *testing.T, h string) {
		outside := filepath.Join(filepath.Dir(h), "outside.conf")
		writeHostile(t, outside, []byte("blacklist nf_conntrack\n"))
		must(t, os.Symlink(strings.Repeat("../", 20)+strings.TrimPrefix(outside, "/"), filepath.Join(h, "root/etc/modprobe.d/evil.conf")))
		must(t, os.Symlink(outside, filepath.Join(h, "root/etc/modprobe.d/evil2.conf")))
	}, extra: []string{`kmod_module_blacklisted{module="nf_conntrack"} 0`}},
	{name: "link out of the root under /lib/modules", damage: func(t *testing.T, h string) {
		p := filepath.Join(modDir(h), "kernel/net/netfilter/xt_set.ko.gz")
		must(t, os.Remove(p))
		must(t, os.Symlink("/proc/self/environ", p))
	}, extra: []string{`kmod_module_present_on_disk{module="xt_set"} 0`}},
	{name: "truncated .ko.xz", damage: func(t *testing.T, h string) {
		p := filepath.Join(modDir(h), "kernel/net/netfilter/nf_conntrack.ko.xz")
		data, err := os.ReadFile(p)
		must(t, err)
		writeHostile(t, p, data[:len(data)/2])
	}, logged: "nf_conntrack.ko.xz", extra: []string{`kmod_module_file_error{module="nf_conntrack",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz",reason="truncated"} 1`,
		`kmod_module_release_match{module="xt_recent"} 1`}, missing: []string{`kmod_module_release_match{module="nf_conntrack"}`}},
	{name: "corrupt .ko", damage: func(t *testing.T, h string) {
		writeHostile(t, filepath.Join(modDir(h), "kernel/net/netfilter/xt_multiport.ko"), append([]byte("\x7fELF\x02\x01\x01"), junk(4096)...))
	}, logged: "xt_multiport.ko", extra: []string{`kmod_module_file_error{module="xt_multiport",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_multiport.ko",reason="corrupt"} 1`}},
	{name: "zstd decompression bomb", damage: func(t *testing.T, h string) {
		var b bytes.Buffer
		w, err := zstd.NewWriter(&b, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		must(t, err)
		zeros := make([]byte, 1<<20)
		for i := 0; i < 200; i++ {
			w.Write(zeros)
		}
		must(t, w.Close())
		writeHostile(t, filepath.Join(modDir(h), "kernel/net/netfilter/xt_recent.ko.zst"), b.Bytes())
	}, logged: "xt_recent.ko.zst", extra: []string{`reason="corrupt"} 1`}},
	{name: "zstd bomb after a real ELF header", damage: func(t *testing.T, h string) {
		bomb(t, h, "xt_recent.ko.zst", "zstd", false)
	}, logged: "xt_recent.ko.zst", extra: []string{`kmod_module_file_error{module="xt_recent",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_recent.ko.zst",reason="corrupt"} 1`}},
	{name: "xz bomb after a real ELF header", damage: func(t *testing.T, h string) {
		bomb(t, h, "nf_conntrack.ko.xz", "xz", false)
	}, logged: "nf_conntrack.ko.xz", extra: []string{`module="nf_conntrack",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz",reason="corrupt"} 1`}},
	{name: "gzip bomb after a real ELF header", damage: func(t *testing.T, h string) {
		bomb(t, h, "xt_set.ko.gz", "gzip", false)
	}, logged: "xt_set.ko.gz", extra: []string{`module="xt_set",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_set.ko.gz",reason="corrupt"} 1`}},
	{name: "xz bomb whose section headers lie past the bound", damage: func(t *testing.T, h string) {
		bomb(t, h, "nf_conntrack.ko.xz", "xz", true)
	}, logged: "nf_conntrack.ko.xz", extra: []string{`module="nf_conntrack",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz",reason="too_large"} 1`}},
	{name: "zstd bomb whose section headers lie past the bound", damage: func(t *testing.T, h string) {
		bomb(t, h, "xt_recent.ko.zst", "zstd", true)
	}, logged: "xt_recent.ko.zst", extra: []string{`reason="too_large"} 1`}},
	{name: "100 MiB .modinfo section", damage: func(t *testing.T, h string) {
		hugeModinfo(t, h, "xt_multiport.ko")
	}, logged: "xt_multiport.ko", extra: []string{`module="xt_multiport",path="/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_multiport.ko",reason="too_large"} 1`}},
	{name: "binary ruleset", damage: func(t *testing.T, h string) {
		writeHostile(t, filepath.Join(h, "root/etc/iptables/rules.v4"), junk(8192))
	},
		extra: []string{`kmod_ruleset_parse_success{path="/etc/iptables/rules.v4"} 0`}},
}

// TestHostileInput runs the exporter on each damaged host.
func TestHostileInput(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			host := testenv.CopyTree(t, filepath.Join("fixtures", "healthy"))
			tc.damage(t, host)
			e := startExporter(t, "--path.procfs="+filepath.Join(host, "proc"), "--path.sysfs="+filepath.Join(host, "sys"),
				"--path.rootfs="+filepath.Join(host, "root"), "--web.disable-exporter-metrics")
			checkHostile(t, tc, e.scrape(t), e.logs)
			// Every file has a bound; the peak memory shows it held.
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.cmd.Process.Pid))
			must(t, err)
			if m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status); m != nil {
				kb, _ := strconv.Atoi(string(m[1]))
				t.Logf("peak RSS %.1f MiB", float64(kb)/1024)
				if kb > maxHostileRSSKiB {
					t.Errorf("peak memory %d KiB, more than %d", kb, maxHostileRSSKiB)
				}
			}
		})
	}
}

// maxHostileRSSKiB bounds the exporter's peak memory on hostile input: a
// file larger than its bound is refused unread, a compressed module is
// read as a stream holding at most 2 MiB of it, and files in /proc (size 0)
// are read up to 16 MiB. The DaemonSet's memory limit is set from it.
const maxHostileRSSKiB = 40 << 10

// bomb replaces a module of the healthy host with a real module's ELF
// header followed by 1 GiB of zeros, compressed with the given tool; with
// far, the header's section header offset points past MaxModuleSize.
func bomb(t *testing.T, host, name, tool string, far bool) {
	t.Helper()
	header, err := os.ReadFile(filepath.Join(modDir(host), "kernel/net/netfilter/nf_nat.ko"))
	must(t, err)
	header = header[:64]
	if far {
		le.LittleEndian.PutUint64(header[0x28:], 1<<30-4096) // e_shoff
	}
	out := filepath.Join(modDir(host), "kernel/net/netfilter", name)
	args := map[string][]string{"zstd": {"-q", "-1", "-c"}, "xz": {"-q", "-0", "-c", "--check=crc32"}, "gzip": {"-1", "-c"}}[tool]
	cmd := exec.Command(testenv.Tool(t, tool), args...)
	cmd.Stdin = io.MultiReader(bytes.NewReader(header), io.LimitReader(zeroReader{}, 1<<30))
	f, err := os.Create(out)
	must(t, err)
	defer f.Close()
	cmd.Stdout = f
	must(t, cmd.Run())
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// hugeModinfo makes a module whose .modinfo section claims 100 MiB: a
// sparse file with the fixture module's sections, the .modinfo one grown.
func hugeModinfo(t *testing.T, host, name string) {
	t.Helper()
	p := filepath.Join(modDir(host), "kernel/net/netfilter", name)
	f, err := elf.Open(p)
	must(t, err)
	sec := f.Section(".modinfo")
	f.Close()
	if sec == nil {
		t.Fatalf("%s has no .modinfo", p)
	}
	data, err := os.ReadFile(p)
	must(t, err)
	// The section header's sh_size field (ELF64: offset 32 in the header).
	shoff := le.LittleEndian.Uint64(data[0x28:])
	for i := 0; i < int(le.LittleEndian.Uint16(data[0x3c:])); i++ {
		h := data[shoff+uint64(i)*64:]
		if le.LittleEndian.Uint64(h[24:]) == sec.Offset && le.LittleEndian.Uint64(h[32:]) == sec.Size {
			le.LittleEndian.PutUint64(h[32:], 100<<20)
		}
	}
	writeHostile(t, p, data)
	g, err := os.OpenFile(p, os.O_RDWR, 0)
	must(t, err)
	must(t, g.Truncate(int64(sec.Offset)+100<<20))
	g.Close()
}

// logged waits up to 5 s for a log line: the exporter's stderr reaches the
// test through a pipe, after the scrape's response.
func logged(logs *testenv.SyncBuffer, s string) bool {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(logs.String(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func checkHostile(t *testing.T, tc hostileCase, body string, logs *testenv.SyncBuffer) {
	t.Helper()
	for _, c := range []string{"kernel", "memory", "modules", "firewall", "conntrack"} {
		want := "1"
		for _, f := range tc.fail {
			if f == c {
				want = "0"
			}
		}
		if line := `kmod_scrape_collector_success{collector="` + c + `"} ` + want; !strings.Contains(body, line) {
			t.Errorf("want %s", line)
		}
	}
	if tc.logged != "" && !logged(logs, tc.logged) {
		t.Errorf("no log line names %q:\n%s", tc.logged, logs)
	}
	for _, l := range tc.extra {
		if !strings.Contains(body, l) {
			t.Errorf("want %s", l)
		}
	}
	for _, l := range tc.missing {
		if strings.Contains(body, l) {
			t.Errorf("must not contain %s", l)
		}
	}
}

// TestUnreadableFiles runs the exporter as an unprivileged user on a host
// with files it may not read.
func TestUnreadableFiles(t *testing.T) {
	testenv.Root(t)
	host := hostTree(t, "healthy")
	for _, p := range []string{"etc/modprobe.d/nf_conntrack.conf", "lib/modules/" + release + "/modules.alias"} {
		must(t, os.Chmod(filepath.Join(host, p), 0o000))
	}
	// The test binary's directory is private; the unprivileged user runs a copy.
	bin := filepath.Join(filepath.Dir(host), "kmod_exporter")
	data, err := os.ReadFile(binary)
	must(t, err)
	must(t, os.WriteFile(bin, data, 0o755))
	addr := freePort(t)
	cmd := exec.Command(bin, "--path.procfs="+filepath.Join(host, "proc"), "--path.sysfs="+filepath.Join(host, "sys"),
		"--path.rootfs="+host, "--web.listen-address="+addr, "--web.disable-exporter-metrics")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	body := scrapeWhenUp(addr)
	if body == "" {
		t.Fatalf("no scrape:\n%s", logs)
	}
	checkHostile(t, hostileCase{fail: []string{"modules"}, logged: "permission denied"}, body, logs)
	for _, p := range []string{"nf_conntrack.conf", "modules.alias"} {
		if !logged(logs, p) {
			t.Errorf("no log line names %s", p)
		}
	}
}

// TestConfigNotYAML: a configuration that is not YAML is refused with a
// message, never half-applied.
func TestConfigNotYAML(t *testing.T) {
	for _, data := range [][]byte{junk(512), []byte("modules: [a\n"), []byte("modules: [\"" + strings.Repeat("x", 10000) + "\"]\n"), []byte("modules: [\"a\\u0000b\"]\n")} {
		p := filepath.Join(t.TempDir(), "config.yml")
		must(t, os.WriteFile(p, data, 0o644))
		if _, code := runBinary(t, "--config.file="+p, "--config.check"); code != 1 {
			t.Errorf("%.20q: exit %d, want 1", data, code)
		}
	}
}

// TestCheckUnreadableRuleset: netfilter-persistent writes rules.v4 mode
// 0640 root:root. check run by another user cannot know the modules its
// rules need: it names the file and the missing permission and exits 2,
// never "healthy".
func TestCheckUnreadableRuleset(t *testing.T) {
	testenv.Root(t)
	host := hostTree(t, "healthy")
	rules := filepath.Join(host, "etc/iptables/rules.v4")
	must(t, os.Chmod(rules, 0o640))
	bin := filepath.Join(filepath.Dir(host), "kmod_exporter")
	data, err := os.ReadFile(binary)
	must(t, err)
	must(t, os.WriteFile(bin, data, 0o755))
	for _, format := range []string{"table", "json"} {
		cmd := exec.Command(bin, "--path.procfs="+filepath.Join(host, "proc"), "--path.sysfs="+filepath.Join(host, "sys"),
			"--path.rootfs="+host, "check", "--output="+format, "--color=never")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%s: %v, want exit status 2\n%s%s", format, err, stdout.String(), stderr.String())
		}
		if want := "cannot read /etc/iptables/rules.v4: permission denied: uid 65534 has no read permission on it"; !strings.Contains(stderr.String(), want) {
			t.Errorf("%s: stderr does not say %q:\n%s", format, want, stderr.String())
		}
		if strings.Contains(stdout.String(), "healthy: every") || strings.Contains(stdout.String(), `"healthy": true`) && !strings.Contains(stdout.String(), `"unreadable"`) {
			t.Errorf("%s: called healthy:\n%s", format, stdout.String())
		}
	}
	// Root reads it: the same host is healthy.
	if out, code := runBinary(t, "--path.procfs="+filepath.Join(host, "proc"), "--path.sysfs="+filepath.Join(host, "sys"), "--path.rootfs="+host, "check"); code != 0 {
		t.Errorf("as root: exit %d\n%s", code, out)
	}
}
