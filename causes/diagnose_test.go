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
