package causes

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// snapshotAt reads the host of a scenario directory (proc, sys, root).
func snapshotAt(t *testing.T, d string) *kmod.Snapshot {
	t.Helper()
	view := kmod.NewHost(kmod.Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")}).View()
	t.Cleanup(view.Release)
	s, err := view.Snapshot()
	if s == nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Done)
	return s
}

// TestDiagnoseUnreadableModuleFile: a required module that is not loaded
// and whose file is on disk but truncated gets KmodModuleFileUnreadable with
// the file and the reason, and nothing else (not "built for another
// kernel", whose vermagic was never read, nor "not loaded").
func TestDiagnoseUnreadableModuleFile(t *testing.T) {
	root := testenv.CopyTree(t, filepath.Join("..", "fixtures", "healthy"))
	dir := filepath.Join(root, "root/lib/modules/6.1.0-18-amd64")
	p := filepath.Join(dir, "kernel/net/netfilter/xt_recent.ko.zst")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(p, data[:len(data)/2], 0o644))
	// As old as modules.dep, so depmod's index is not stale for it.
	dep, err := os.Stat(filepath.Join(dir, "modules.dep"))
	must(err)
	must(os.Chtimes(p, dep.ModTime(), dep.ModTime()))
	mods, err := os.ReadFile(filepath.Join(root, "proc/modules"))
	must(err)
	var kept []string
	for _, l := range strings.Split(string(mods), "\n") {
		if !strings.HasPrefix(l, "xt_recent ") {
			kept = append(kept, l)
		}
	}
	must(os.WriteFile(filepath.Join(root, "proc/modules"), []byte(strings.Join(kept, "\n")), 0o644))
	must(os.RemoveAll(filepath.Join(root, "sys/module/xt_recent")))

	s := snapshotAt(t, root)
	d := Diagnose(s, kmod.RequirementSet{Found: []kmod.Provenance{{Name: "xt_recent", Source: "config"}, {Name: "xt_set", Source: "config"}}}, HostFacts{})
	var got []string
	for _, m := range d.Modules {
		for _, c := range m.Causes {
			got = append(got, c.Alert+" "+c.Severity+" module="+c.Labels["module"]+" path="+c.Labels["path"]+" reason="+c.Labels["reason"])
		}
	}
	want := []string{"KmodModuleFileUnreadable critical module=xt_recent path=/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_recent.ko.zst reason=truncated"}
	if !slices.Equal(got, want) {
		t.Errorf("causes %q, want %q", got, want)
	}
	if d.Healthy() {
		t.Error("healthy with an unreadable required module")
	}
}

// TestDiagnoseHostThresholds: the host causes hold just past their
// thresholds and not at them, as the alerts' strict comparisons do.
func TestDiagnoseHostThresholds(t *testing.T) {
	s := snapshotAt(t, filepath.Join("..", "fixtures", "healthy"))
	for _, c := range []struct {
		facts HostFacts
		want  []string
	}{
		{HostFacts{Conntrack: kmod.Conntrack{Available: true, Entries: 90, Limit: 100}}, nil},
		{HostFacts{Conntrack: kmod.Conntrack{Available: true, Entries: 91, Limit: 100}}, []string{"KmodConntrackTableNearFull warning"}},
		{HostFacts{Iptables: "1.8.7"}, nil},
		{HostFacts{Iptables: "1.8.10"}, nil},
		{HostFacts{Iptables: "1.8.6"}, []string{"KmodIptablesOutdated info"}},
		{HostFacts{Iptables: "1.4.21"}, []string{"KmodIptablesOutdated info"}},
	} {
		var got []string
		for _, h := range Diagnose(s, kmod.RequirementSet{}, c.facts).HostCauses {
			got = append(got, h.Alert+" "+h.Severity)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v: host causes %q, want %q", c.facts, got, c.want)
		}
	}
}

// TestDiagnoseUnknownRequirement: a name no tree, alias or kernel option
// knows is an unknown requirement at the line that asks for it, and not a
// missing file; a real module missing from the tree still is one.
func TestDiagnoseUnknownRequirement(t *testing.T) {
	s := snapshotAt(t, filepath.Join("..", "fixtures", "missing-file"))
	set := kmod.RequirementSet{Found: []kmod.Provenance{
		{Name: "xt_multiprot", Source: "modules-load.d", Path: "/etc/modules-load.d/typo.conf", Line: 2},
		{Name: "ipt_nosuchthing", Source: "/etc/iptables/rules.v4", Path: "/etc/iptables/rules.v4"},
		{Name: "nf_conntrack", Source: "config"},
	}}
	var got []string
	for _, m := range Diagnose(s, set, HostFacts{}).Modules {
		for _, c := range m.Causes {
			got = append(got, c.Alert+" "+c.Severity+" "+c.Labels["module"]+" "+c.Labels["path"]+":"+c.Labels["line"])
		}
	}
	slices.Sort(got)
	want := []string{
		"KmodModuleFileMissing critical nf_conntrack :",
		"KmodRequirementUnknown warning ipt_nosuchthing /etc/iptables/rules.v4:0",
		"KmodRequirementUnknown warning xt_multiprot /etc/modules-load.d/typo.conf:2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("causes\n%q, want\n%q", got, want)
	}
}

// TestDiagnoseNextLoadFails: a loaded required module whose next load
// would fail gets KmodModuleNextLoadFails (a warning: the host stays
// healthy) with the reason and, for a configuration line, its file and
// line; a blacklisted module that another required module depends on does
// not, since kmod loads a dependency whatever its blacklist says.
func TestDiagnoseNextLoadFails(t *testing.T) {
	const tree = "root/lib/modules/6.1.0-18-amd64"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	conf := func(name, text string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			must(os.WriteFile(filepath.Join(root, "root/etc/modprobe.d", name), []byte(text), 0o644))
		}
	}
	for _, c := range []struct {
		name     string
		fixture  string
		change   func(t *testing.T, root string)
		required []string
		want     []string
	}{
		{"healthy", "healthy", func(*testing.T, string) {}, []string{"xt_recent", "nf_conntrack"}, nil},
		{"blacklisted", "healthy", conf("fw.conf", "# test\nblacklist xt_recent\n"), []string{"xt_recent"},
			[]string{"module=xt_recent reason=blacklisted path=/etc/modprobe.d/fw.conf line=2 directive=blacklist"}},
		{"blacklisted in the dash form", "healthy", conf("fw.conf", "blacklist xt-recent\n"), []string{"xt_recent"},
			[]string{"module=xt_recent reason=blacklisted path=/etc/modprobe.d/fw.conf line=1 directive=blacklist"}},
		// kmod compares a blacklist with the module's name only.
		{"an alias blacklisted blocks nothing", "healthy", conf("fw.conf", "blacklist ipt_recent\n"), []string{"xt_recent"}, nil},
		{"blacklisted, a dependency of a required module", "healthy", conf("fw.conf", "blacklist nf_conntrack\n"), []string{"nf_conntrack", "xt_conntrack"}, nil},
		{"blacklisted, its dependent blacklisted too", "healthy", conf("fw.conf", "blacklist nf_conntrack\nblacklist xt_conntrack\n"), []string{"nf_conntrack", "xt_conntrack"},
			[]string{"module=nf_conntrack reason=blacklisted path=/etc/modprobe.d/fw.conf line=1 directive=blacklist",
				"module=xt_conntrack reason=blacklisted path=/etc/modprobe.d/fw.conf line=2 directive=blacklist"}},
		{"blacklisted, its dependent not required", "healthy", conf("fw.conf", "blacklist nf_conntrack\n"), []string{"nf_conntrack"},
			[]string{"module=nf_conntrack reason=blacklisted path=/etc/modprobe.d/fw.conf line=1 directive=blacklist"}},
		// An install override replaces a load as a dependency too.
		{"disabled", "healthy", conf("hardening.conf", "install nf_conntrack /bin/true\n"), []string{"nf_conntrack", "xt_conntrack"},
			[]string{"module=nf_conntrack reason=disabled path=/etc/modprobe.d/hardening.conf line=1 directive=install"}},
		{"file missing", "healthy", func(t *testing.T, root string) {
			must(os.Remove(filepath.Join(root, tree, "kernel/net/netfilter/xt_recent.ko.zst")))
		}, []string{"xt_recent"}, []string{"module=xt_recent reason=file_missing"}},
		{"file unreadable", "healthy", func(t *testing.T, root string) {
			p := filepath.Join(root, tree, "kernel/net/netfilter/xt_recent.ko.zst")
			data, err := os.ReadFile(p)
			must(err)
			must(os.WriteFile(p, data[:64], 0o644))
			dep, err := os.Stat(filepath.Join(root, tree, "modules.dep"))
			must(err)
			must(os.Chtimes(p, dep.ModTime(), dep.ModTime()))
		}, []string{"xt_recent"}, []string{"module=xt_recent reason=file_unreadable path=/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_recent.ko.zst error=truncated"}},
		{"release mismatch", "release-mismatch", func(t *testing.T, root string) {
			f, err := os.OpenFile(filepath.Join(root, "proc/modules"), os.O_APPEND|os.O_WRONLY, 0)
			must(err)
			_, err = f.WriteString("nf_conntrack 65536 0 - Live 0x0000000000000000\n")
			must(err)
			must(f.Close())
			must(os.MkdirAll(filepath.Join(root, "sys/module/nf_conntrack"), 0o755))
			must(os.WriteFile(filepath.Join(root, "sys/module/nf_conntrack/initstate"), []byte("live\n"), 0o644))
		}, []string{"nf_conntrack"}, []string{"module=nf_conntrack reason=release_mismatch path=/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz file_release=6.1.0-17-amd64"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := testenv.CopyTree(t, filepath.Join("..", "fixtures", c.fixture))
			c.change(t, root)
			var set kmod.RequirementSet
			for _, m := range c.required {
				set.Found = append(set.Found, kmod.Provenance{Name: m, Source: "config"})
			}
			d := Diagnose(snapshotAt(t, root), set, HostFacts{})
			var got []string
			for _, m := range d.Modules {
				for _, cs := range m.Causes {
					if cs.Alert != ModuleNextLoadFails {
						t.Errorf("%s: unexpected %s %v", m.Module, cs.Alert, cs.Labels)
						continue
					}
					if cs.Severity != Warning {
						t.Errorf("%s: severity %s", m.Module, cs.Severity)
					}
					s := "module=" + cs.Labels["module"] + " reason=" + cs.Labels["reason"]
					for _, k := range []string{"path", "line", "directive", "error", "file_release"} {
						if v, ok := cs.Labels[k]; ok {
							s += " " + k + "=" + v
						}
					}
					got = append(got, s)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("causes\n%q, want\n%q", got, c.want)
			}
			if !d.Healthy() {
				t.Error("a latent fault made the host unhealthy: it is a warning")
			}
		})
	}
}

// TestDiagnoseBlacklistBypassed: a blacklisted module that is not loaded
// gets KmodModuleBlacklisted only while no required module that depends on
// it could load it: kmod loads a dependency whatever its blacklist says,
// so otherwise the blacklist is not why it is missing (KmodModuleNotLoaded).
func TestDiagnoseBlacklistBypassed(t *testing.T) {
	for _, c := range []struct {
		name     string
		conf     string
		required []string
		want     []string
	}{
		{"its dependent required", "blacklist nf_conntrack\n", []string{"nf_conntrack", "xt_conntrack"},
			[]string{"nf_conntrack KmodModuleNotLoaded", "xt_conntrack KmodModuleNotLoaded"}},
		{"its dependent blacklisted too", "blacklist nf_conntrack\nblacklist xt_conntrack\n", []string{"nf_conntrack", "xt_conntrack"},
			[]string{"nf_conntrack KmodModuleBlacklisted line=1", "xt_conntrack KmodModuleBlacklisted line=2"}},
		{"its dependent disabled", "blacklist nf_conntrack\ninstall xt_conntrack /bin/true\n", []string{"nf_conntrack", "xt_conntrack"},
			[]string{"nf_conntrack KmodModuleBlacklisted line=1", "xt_conntrack KmodModuleDisabled line=2"}},
		{"its dependent not required", "blacklist nf_conntrack\n", []string{"nf_conntrack"},
			[]string{"nf_conntrack KmodModuleBlacklisted line=1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := testenv.CopyTree(t, filepath.Join("..", "fixtures", "not-loaded"))
			if err := os.WriteFile(filepath.Join(root, "root/etc/modprobe.d/fw.conf"), []byte(c.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			var set kmod.RequirementSet
			for _, m := range c.required {
				set.Found = append(set.Found, kmod.Provenance{Name: m, Source: "config"})
			}
			var got []string
			for _, m := range Diagnose(snapshotAt(t, root), set, HostFacts{}).Modules {
				for _, cs := range m.Causes {
					s := m.Module + " " + cs.Alert
					if l, ok := cs.Labels["line"]; ok {
						s += " line=" + l
					}
					got = append(got, s)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("causes\n%q, want\n%q", got, c.want)
			}
		})
	}
}
