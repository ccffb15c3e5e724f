package main

import (
	"bytes"
	"fmt"
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
	}, fail: []string{"modules"}, logged: "xt_recent.ko.zst"},
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
	}, fail: []string{"modules"}, logged: "nf_conntrack.ko.xz", extra: []string{`kmod_module_release_match{module="nf_conntrack"} 0`}},
	{name: "corrupt .ko", damage: func(t *testing.T, h string) {
		writeHostile(t, filepath.Join(modDir(h), "kernel/net/netfilter/xt_multiport.ko"), append([]byte("\x7fELF\x02\x01\x01"), junk(4096)...))
	}, fail: []string{"modules"}, logged: "xt_multiport.ko"},
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
	}, fail: []string{"modules"}, logged: "xt_recent.ko.zst"},
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
				if kb, _ := strconv.Atoi(string(m[1])); kb > maxHostileRSSKiB {
					t.Errorf("peak memory %d KiB, more than %d", kb, maxHostileRSSKiB)
				}
			}
		})
	}
}

// maxHostileRSSKiB bounds the exporter's peak memory on hostile input: a
// file larger than its bound is refused unread, the largest bound is 32 MiB
// (a module, decompressed), and files in /proc (size 0) are read up to
// 16 MiB.
const maxHostileRSSKiB = 120 << 10

// logged waits up to 5 s for a log line: the exporter's stderr reaches the
// test through a pipe, after the scrape's response.
func logged(logs *syncBuffer, s string) bool {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(logs.String(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func checkHostile(t *testing.T, tc hostileCase, body string, logs *syncBuffer) {
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
	logs := &syncBuffer{}
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
