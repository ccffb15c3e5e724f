package kmod

// The caches keyed on file identity follow every change of the files.

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCachesFollowFileChanges(t *testing.T) {
	d := copyTree(t, "healthy")
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
	s, err := readSnapshot(t, h)
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
	replaceWithOtherBuild(t, filepath.Join(d, "root"))

	s, err = readSnapshot(t, h)
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

// replaceWithOtherBuild replaces nf_conntrack's file under the host root
// with a build for another release (the release-mismatch fixture's),
// newer than modules.dep.
func replaceWithOtherBuild(t *testing.T, root string) {
	t.Helper()
	const file = "lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz"
	data, err := os.ReadFile(filepath.Join(copyTree(t, "release-mismatch"), "root", file))
	must(t, err)
	target := filepath.Join(root, file)
	must(t, os.WriteFile(target, data, 0o644))
	future := time.Now().Add(time.Hour)
	must(t, os.Chtimes(target, future, future))
}

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
		r, _, err := view.ReadRuleset(RulesetPath{Path: "/etc/iptables/rules.v4"})
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
		s, err := readSnapshot(t, h)
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
