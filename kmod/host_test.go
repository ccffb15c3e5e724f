package kmod

import (
	"bytes"
	"compress/gzip"
	"errors"
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

func fixtureHost(scenario string) *Host { return hostAt(filepath.Join("..", "fixtures", scenario)) }

// hostAt is the host of a scenario directory (proc, sys, root).
func hostAt(d string) *Host {
	return NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
}

func snapshot(t *testing.T, scenario string) *Snapshot {
	t.Helper()
	s, err := fixtureHost(scenario).Snapshot()
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
		FileRelease: "6.1.0-18-amd64", ReleaseMatch: true, DepsOK: true, LoadOnBoot: true,
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
	s, err := h.Snapshot()
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
func TestCachesFollowFileChanges(t *testing.T) {
	d := copyTree(t, "healthy")
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
	s, err := h.Snapshot()
	must(t, err)
	if got := s.Resolve("ipt_recent"); !reflect.DeepEqual(got, []string{"xt_recent"}) {
		t.Fatalf("before: %v", got)
	}
	dir := filepath.Join(d, "root/lib/modules/6.1.0-18-amd64")
	writeFile(t, filepath.Join(dir, "modules.alias"), "alias ipt_recent other_recent\n")
	writeFile(t, filepath.Join(dir, "modules.builtin"), "kernel/net/netfilter/xt_recent.ko\n")
	dep, err := os.ReadFile(filepath.Join(dir, "modules.dep"))
	must(t, err)
	writeFile(t, filepath.Join(dir, "modules.dep"), strings.Replace(string(dep), "kernel/lib/libcrc32c.ko\n", "kernel/lib/libcrc32c.ko\nextra/new.ko:\n", 1))
	// Replace nf_conntrack's file with another release's build.
	other := copyTree(t, "release-mismatch")
	data, err := os.ReadFile(filepath.Join(other, "root/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz"))
	must(t, err)
	target := filepath.Join(dir, "kernel/net/netfilter/nf_conntrack.ko.xz")
	must(t, os.WriteFile(target, data, 0o644))
	future := time.Now().Add(time.Hour)
	must(t, os.Chtimes(target, future, future))

	s, err = h.Snapshot()
	must(t, err)
	if got := s.Resolve("ipt_recent"); !reflect.DeepEqual(got, []string{"other_recent"}) {
		t.Errorf("modules.alias change not seen: %v", got)
	}
	if !s.Module("xt_recent").Builtin {
		t.Error("modules.builtin change not seen")
	}
	if e, _ := s.dep.Entry("new"); !reflect.DeepEqual(s.Resolve("new"), []string{"new"}) || e.Path != "extra/new.ko" {
		t.Errorf("modules.dep change not seen: %+v", e)
	}
	if got := s.Module("nf_conntrack").FileRelease; got != "6.1.0-17-amd64" {
		t.Errorf("module file change not seen: %q", got)
	}
}

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
	s, err := h.Snapshot()
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
func TestMoreCachesFollowFileChanges(t *testing.T) {
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	read := func() (string, string, []Need) {
		view := h.View()
		defer view.Release()
		cfg, _, _, err := view.readKernelConfig("6.1.0-18-amd64")
		must(t, err)
		v, _, err := view.IptablesVersion()
		must(t, err)
		r, _, err := view.ReadRuleset("/etc/iptables/rules.v4")
		must(t, err)
		return cfg.Tristate("CONFIG_NETFILTER_XT_MATCH_RECENT"), v, r.Needs
	}
	sym, version, needs := read()
	if sym != "m" || version != "1.8.9-2" || len(needs) == 0 {
		t.Fatalf("before: %q %q %v", sym, version, needs)
	}
	writeFile(t, filepath.Join(root, "boot/config-6.1.0-18-amd64"), "# CONFIG_NETFILTER_XT_MATCH_RECENT is not set\n")
	writeFile(t, filepath.Join(root, "var/lib/dpkg/status"), "Package: iptables\nStatus: install ok installed\nVersion: 1.8.10-1\n")
	writeFile(t, filepath.Join(root, "etc/iptables/rules.v4"), "*raw\n-A PREROUTING -j CT --notrack\nCOMMIT\n")
	sym, version, needs = read()
	if sym != "n" || version != "1.8.10-1" || !reflect.DeepEqual(needs, []Need{{"table", "raw"}, {"target", "CT"}}) {
		t.Errorf("after: %q %q %v", sym, version, needs)
	}
}

// modprobe.d and modules-load.d files are parsed once and then only
// stat'ed: every way of changing one is still seen at the next snapshot.
func TestConfigFileCacheFollowsChanges(t *testing.T) {
	d := copyTree(t, "healthy")
	root := filepath.Join(d, "root")
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: root})
	conf := filepath.Join(root, "etc/modprobe.d/zz-test.conf")
	load := filepath.Join(root, "etc/modules-load.d/zz-test.conf")
	must(t, os.MkdirAll(filepath.Dir(load), 0o755))
	state := func() (blacklisted, boot bool) {
		t.Helper()
		s, err := h.Snapshot()
		must(t, err)
		defer s.Done()
		return s.Module("xt_recent").Blacklisted, s.Module("nft_log").LoadOnBoot
	}
	writeFile(t, conf, "blacklist xt_recent\n")
	writeFile(t, load, "nft_log\n")
	if b, l := state(); !b || !l {
		t.Fatalf("written: blacklisted %v, load on boot %v", b, l)
	}
	// Same size, same modification time: the inode's change time and number
	// still tell the new content apart.
	fi, err := os.Stat(conf)
	must(t, err)
	writeFile(t, conf, "blacklist xt_recenT\n")
	must(t, os.Chtimes(conf, fi.ModTime(), fi.ModTime()))
	if b, _ := state(); b {
		t.Error("rewritten with the same size and time: the old parse was used")
	}
	writeFile(t, conf, "blacklist xt_recent\n")
	if b, _ := state(); !b {
		t.Error("rewritten again: not seen")
	}
	// Masked the systemd way, then removed.
	must(t, os.Remove(conf))
	must(t, os.Symlink("/dev/null", conf))
	if b, _ := state(); b {
		t.Error("a link to /dev/null still blacklists")
	}
	must(t, os.Remove(conf))
	must(t, os.Remove(load))
	if b, l := state(); b || l {
		t.Errorf("removed: blacklisted %v, load on boot %v", b, l)
	}
	// Replaced by a link to a file with the same content as before.
	other := filepath.Join(root, "etc/other.conf")
	writeFile(t, other, "blacklist xt_recent\n")
	must(t, os.Symlink("/etc/other.conf", conf))
	if b, _ := state(); !b {
		t.Error("a link to a blacklisting file: not seen")
	}
}

// Where openat2 is missing, paths are resolved by hand; both ways must give
// the same answers.
func TestManualResolutionAgrees(t *testing.T) {
	for _, scenario := range []string{"healthy", "release-mismatch", "missing-file"} {
		withKernel, byHand := fixtureHost(scenario), fixtureHost(scenario)
		byHand.root = byHand.root.ByHand()
		a, err := withKernel.Snapshot()
		must(t, err)
		b, err := byHand.Snapshot()
		must(t, err)
		for _, m := range []string{"nf_conntrack", "xt_recent", "xt_set", "xt_conntrack"} {
			if x, y := a.Module(m), b.Module(m); !reflect.DeepEqual(x.File, y.File) || x.OnDisk != y.OnDisk || x.FileRelease != y.FileRelease || x.DepsOK != y.DepsOK {
				t.Errorf("%s/%s: openat2 %+v, by hand %+v", scenario, m, x, y)
			}
		}
	}
}
