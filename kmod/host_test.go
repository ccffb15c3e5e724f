package kmod

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

func fixtureHost(scenario string) *Host { return hostAt(filepath.Join("..", "fixtures", scenario)) }

// hostAt is the host of a scenario directory (proc, sys, root).
func hostAt(d string) *Host {
	return NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
}

func snapshot(t *testing.T, scenario string) *Snapshot {
	t.Helper()
	s, err := readSnapshot(t, fixtureHost(scenario))
	if err != nil {
		t.Fatalf("%s: %v", scenario, err)
	}
	return s
}

func TestHealthyHost(t *testing.T) {
	s := snapshot(t, "healthy")
	if s.Release != "6.1.0-18-amd64" || !s.ModuleSupport || !s.ModulesDirPresent || !s.ModulesDepPresent {
		t.Fatalf("kernel: %+v", s.Kernel)
	}
	st := s.Module("nf_conntrack")
	want := ModuleStatus{
		Name: "nf_conntrack", Loaded: true, State: "Live", OnDisk: true,
		File:        "/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz",
		FileRelease: "6.1.0-18-amd64", ReleaseMatch: true, DepsOK: true, LoadOnBoot: true, Known: true,
		Deps: []Dependency{{Name: "nf_defrag_ipv6", Loaded: true, Usable: true}, {Name: "nf_defrag_ipv4", Loaded: true, Usable: true}, {Name: "libcrc32c", Loaded: true, Usable: true}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("nf_conntrack:\n got %+v\nwant %+v", st, want)
	}
	// Boot entries are written as aliases and resolve to the xt_ modules.
	for _, m := range []string{"xt_recent", "xt_set", "xt_multiport", "xt_conntrack", "xt_state"} {
		if st := s.Module(m); !st.LoadOnBoot || !st.Loaded || !st.ReleaseMatch {
			t.Errorf("%s: %+v", m, st)
		}
	}
	if got := s.Resolve("ipt_state"); !reflect.DeepEqual(got, []string{"xt_state"}) {
		t.Errorf("ipt_state resolves to %v", got)
	}
	if got := s.Resolve("net-pf-10"); !reflect.DeepEqual(got, []string{"ipv6"}) {
		t.Errorf("built-in alias net-pf-10 resolves to %v", got)
	}
	if st := s.Module("ipv6"); !st.Builtin || !st.Loaded || !st.ReleaseMatch {
		t.Errorf("built-in ipv6: %+v", st)
	}
	if st := s.Module("unix"); !st.Builtin || !st.Loaded {
		t.Errorf("built-in unix (modules.builtin only): %+v", st)
	}
}

// Each scenario's defining fact, read through the model.
func TestScenarioCauses(t *testing.T) {
	for _, tc := range []struct {
		scenario, module string
		check            func(ModuleStatus) bool
	}{
		{"not-loaded", "nf_conntrack", func(s ModuleStatus) bool {
			return !s.Loaded && s.OnDisk && s.ReleaseMatch && s.DepsOK && !s.Blacklisted
		}},
		{"blacklisted", "nf_conntrack", func(s ModuleStatus) bool {
			return s.Blacklisted && !s.Disabled && reflect.DeepEqual(s.Blocks, []Block{{"/etc/modprobe.d/blacklist-iptables.conf", 3, "blacklist", false}})
		}},
		{"install-disabled", "nf_conntrack", func(s ModuleStatus) bool {
			return s.Disabled && !s.Blacklisted && reflect.DeepEqual(s.Blocks, []Block{{"/etc/modprobe.d/hardening.conf", 3, "install", true}})
		}},
		{"cmdline-blacklist", "nf_conntrack", func(s ModuleStatus) bool {
			return s.Disabled && !s.Blacklisted && reflect.DeepEqual(s.Blocks, []Block{{"/proc/cmdline", 1, "cmdline", true}})
		}},
		{"cmdline-blacklist", "xt_recent", func(s ModuleStatus) bool { return s.Blacklisted && !s.Disabled && !s.Loaded }},
		{"missing-file", "nf_conntrack", func(s ModuleStatus) bool { return !s.OnDisk && !s.ReleaseMatch && s.File == "" }},
		{"release-mismatch", "nf_conntrack", func(s ModuleStatus) bool {
			return s.OnDisk && !s.ReleaseMatch && s.FileRelease == "6.1.0-17-amd64"
		}},
		{"deps-missing", "nf_conntrack", func(s ModuleStatus) bool {
			return s.OnDisk && !s.DepsOK && reflect.DeepEqual(s.Deps[2], Dependency{Name: "libcrc32c"})
		}},
		{"deps-missing", "xt_conntrack", func(s ModuleStatus) bool { return !s.DepsOK }},
		{"no-modules-dir", "nf_conntrack", func(s ModuleStatus) bool { return !s.OnDisk && !s.Loaded && !s.ReleaseMatch }},
		{"no-module-support", "nf_conntrack", func(s ModuleStatus) bool { return s.Builtin && s.Loaded && s.ReleaseMatch }},
		{"no-module-support", "xt_recent", func(s ModuleStatus) bool { return !s.Builtin && !s.Loaded && !s.OnDisk }},
	} {
		st := snapshot(t, tc.scenario).Module(tc.module)
		if !tc.check(st) {
			t.Errorf("%s/%s: %+v", tc.scenario, tc.module, st)
		}
	}
	k := snapshot(t, "no-modules-dir").Kernel
	if k.ModulesDirPresent || !reflect.DeepEqual(k.Trees, []string{"6.1.0-17-amd64"}) {
		t.Errorf("no-modules-dir kernel: %+v", k)
	}
	if snapshot(t, "no-module-support").ModuleSupport {
		t.Error("no-module-support: module support reported")
	}
}

// copyTree copies a fixture scenario so a test may change it.
func copyTree(t *testing.T, scenario string) string {
	return testenv.CopyTree(t, filepath.Join("..", "fixtures", scenario))
}

func writeFile(t *testing.T, p, content string) { testenv.WriteFile(t, p, content) }

func TestConfigPriorityAndMasking(t *testing.T) {
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	// Same name in /lib and /etc: only /etc's is read.
	writeFile(t, filepath.Join(root, "lib/modprobe.d/fw.conf"), "blacklist nf_conntrack\n")
	writeFile(t, filepath.Join(root, "etc/modprobe.d/fw.conf"), "# overridden\n")
	// .alias files count; other suffixes and hidden files do not.
	writeFile(t, filepath.Join(root, "run/modprobe.d/x.alias"), "blacklist xt_set\n")
	writeFile(t, filepath.Join(root, "etc/modprobe.d/x.conf.bak"), "blacklist xt_recent\n")
	writeFile(t, filepath.Join(root, "etc/modprobe.d/.x.conf"), "blacklist xt_recent\n")
	// A link to /dev/null in /etc masks the vendor's modules-load.d file.
	writeFile(t, filepath.Join(root, "usr/lib/modules-load.d/vendor.conf"), "xt_multiport\n")
	if err := os.Symlink("/dev/null", filepath.Join(root, "etc/modules-load.d/vendor.conf")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "usr/lib/modules-load.d/extra.conf"), "nfnetlink\n")
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	s, err := readSnapshot(t, h)
	if err != nil {
		t.Fatal(err)
	}
	for m, want := range map[string]bool{"nf_conntrack": false, "xt_set": true, "xt_recent": false} {
		if got := s.Module(m).Blacklisted; got != want {
			t.Errorf("%s blacklisted = %v, want %v", m, got, want)
		}
	}
	if !s.Module("nfnetlink").LoadOnBoot {
		t.Error("/usr/lib/modules-load.d/extra.conf not read")
	}
	var sources []string
	for _, b := range s.Boot {
		sources = append(sources, b.Path)
	}
	if strings.Contains(strings.Join(sources, " "), "vendor.conf") {
		t.Errorf("masked vendor.conf was read: %v", sources)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A changed index or module file is always read again: the caches are
// keyed on the file's identity, not on time.
func TestUnreadableAndHostileFiles(t *testing.T) {
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	// A directory where a configuration file should be is skipped, as kmod does.
	must(t, os.MkdirAll(filepath.Join(root, "etc/modprobe.d/dir.conf"), 0o755))
	// A FIFO must not block the scrape.
	must(t, syscall.Mkfifo(filepath.Join(root, "etc/modprobe.d/fifo.conf"), 0o644))
	// An oversized file is refused with its path.
	big := filepath.Join(root, "etc/modules-load.d/huge.conf")
	f, err := os.Create(big)
	must(t, err)
	must(t, f.Truncate(maxConfigFile+1))
	f.Close()
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	s, err := readSnapshot(t, h)
	if err == nil || !strings.Contains(err.Error(), "huge.conf") || !errors.Is(err, hostfs.ErrTooLarge) {
		t.Errorf("oversized file: %v", err)
	}
	if s == nil || !s.Module("nf_conntrack").Loaded {
		t.Fatal("the rest of the snapshot must stay usable")
	}
	if len(s.Skipped) != 2 {
		t.Errorf("skipped: %v", s.Skipped)
	}
}

func writeGzip(t *testing.T, p, content string) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(content))
	must(t, zw.Close())
	writeFile(t, p, b.String())
}

// Without a tree for the running release, names still resolve through an
// installed tree's aliases, but nothing of that tree counts as present.
func TestNamesResolveWithoutRunningTree(t *testing.T) {
	s := snapshot(t, "no-modules-dir")
	for name, want := range map[string]string{"ipt_state": "xt_state", "ipt_tcp": "xt_tcpudp", "nf-conntrack": "nf_conntrack"} {
		if got := s.Resolve(name); !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("%s resolves to %v, want %s", name, got, want)
		}
	}
	if st := s.Module("xt_state"); st.OnDisk || st.Builtin || st.Loaded {
		t.Errorf("another release's module counted for the running kernel: %+v", st)
	}
}

// The other cached files follow changes too: the kernel configuration, the
// dpkg status file and the rulesets.
func TestManualResolutionAgrees(t *testing.T) {
	for _, scenario := range []string{"healthy", "release-mismatch", "missing-file"} {
		withKernel, byHand := fixtureHost(scenario), fixtureHost(scenario)
		byHand.root = byHand.root.ByHand()
		a, err := readSnapshot(t, withKernel)
		must(t, err)
		b, err := readSnapshot(t, byHand)
		must(t, err)
		for _, m := range []string{"nf_conntrack", "xt_recent", "xt_set", "xt_conntrack"} {
			if x, y := a.Module(m), b.Module(m); !reflect.DeepEqual(x.File, y.File) || x.OnDisk != y.OnDisk || x.FileRelease != y.FileRelease || x.DepsOK != y.DepsOK {
				t.Errorf("%s/%s: openat2 %+v, by hand %+v", scenario, m, x, y)
			}
		}
	}
}
