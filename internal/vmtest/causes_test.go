package vmtest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// causeBoots are, for each kernel K with the other kernel O installed
// beside it, the boots that reproduce every documented cause:
//
//	K/causes   K with both trees: every cause that can be undone in the guest
//	K/reboot   O with K's tree and O's tree lacking xt_recent: the next boot
//	K/cmdline  K with module_blacklist= and modprobe.blacklist=
//	K/no-tree  K with only O's tree
func causeBoots(t *testing.T, ks []Kernel) []Spec {
	var specs []Spec
	// The long boots first (6.12's .ko.xz make it the longest), so that
	// the short ones fill the other CPU.
	for i := len(ks) - 1; i >= 0; i-- {
		k, o := ks[i], ks[(i+1)%len(ks)]
		specs = append(specs, Spec{Name: k.Release + "/causes", Kernel: k, Memory: 512,
			Layers: []Layer{RootLayer(), k.Tree(), o.Tree(), host(t, "causes.sh")},
			Script: "O=" + o.Release + "\n. /vmtest/scenarios.sh\n"})
	}
	for i, k := range ks {
		o := ks[(i+1)%len(ks)]
		oLacking := withoutModule(t, o, "xt_recent")
		specs = append(specs,
			Spec{Name: k.Release + "/reboot", Kernel: o,
				Layers: []Layer{RootLayer(), k.Tree(), oLacking.Tree(), host(t, "reboot.sh")},
				Script: ". /vmtest/scenarios.sh\n"},
			Spec{Name: k.Release + "/cmdline", Kernel: k, Cmdline: "module_blacklist=xt_recent modprobe.blacklist=xt_multiport",
				Layers: []Layer{RootLayer(), k.Tree(), host(t, "cmdline.sh")},
				Script: ". /vmtest/scenarios.sh\n"},
			Spec{Name: k.Release + "/no-tree", Kernel: k,
				Layers: []Layer{RootLayer(), o.Tree(), host(t, "notree.sh")},
				Script: ". /vmtest/scenarios.sh\n"},
		)
	}
	return specs
}

// expectation is one scenario's verdict on every kernel, and the kernel's
// own account of the fault: a file of the scenario's output and the text
// the kernel or its tools wrote there.
type expectation struct {
	boot, scenario string
	command        string   // what reproduced it, for docs/correctness.md
	causes         []string // check's causes (and the firing alerts), {K} {O} replaced
	exit           string   // check's exit status
	evidence       string   // scenario file holding the kernel's failure
	message        string   // what the kernel or kmod said there
}

// everyRequiredNotLoaded stands for KmodModuleNotLoaded for each module
// check lists.
const everyRequiredNotLoaded = "every required module not loaded"

var expectations = []expectation{
	{"causes", "healthy", "boot the healthy host", nil, "0", "boot.log", "iptables-restore exit 0"},
	// Every required module: on 6.1 that includes ip_tables, where the
	// icmp match lives (on 6.12 it is in xt_tcpudp).
	{"causes", "not-loaded", "nothing loaded yet (firewall not started)", []string{everyRequiredNotLoaded}, "1", "netfilter-loaded", "0"},
	{"causes", "not-loaded-fixed", "`modprobe` each, as the fix says", nil, "0", "modprobe-xt_recent.exit", "0"},
	{"causes", "blacklisted", "`blacklist xt_recent` (line 3)", []string{"KmodModuleBlacklisted module=xt_recent path=/etc/modprobe.d/blacklist-iptables.conf line=3"}, "1",
		"boot.log", "Extension recent revision 0 not supported, missing kernel module?"},
	{"causes", "blacklisted-dash", "`blacklist xt-multiport` (line 2)", []string{"KmodModuleBlacklisted module=xt_multiport path=/etc/modprobe.d/blacklist-dash.conf line=2"}, "1",
		"boot.log", "Extension multiport revision 0 not supported, missing kernel module?"},
	{"causes", "blacklisted-dependency-down", "`blacklist nf_conntrack` (line 3) alone, firewall not started", []string{everyRequiredNotLoaded}, "1", "check.json", `"blacklisted": true`},
	{"causes", "blacklisted-dependency", "`blacklist nf_conntrack` (line 3) alone, then the firewall started", nil, "0", "proc_modules", "\nnf_conntrack\n"},
	{"causes", "install-disabled", "`install xt_recent /bin/true` (line 2)", []string{"KmodModuleDisabled module=xt_recent path=/etc/modprobe.d/hardening.conf line=2"}, "1",
		"boot.log", "Extension recent revision 0 not supported, missing kernel module?"},
	{"causes", "latent", "firewall up, then `blacklist xt_recent` (line 3) and `install ipt_REJECT /bin/true` (line 2); reloaded as a reboot does", []string{
		"KmodModuleNextLoadFails module=ipt_REJECT path=/etc/modprobe.d/hardening.conf line=2",
		"KmodModuleNextLoadFails module=xt_recent path=/etc/modprobe.d/blacklist-iptables.conf line=3"}, "0",
		"reload/boot.log", "Extension recent revision 0 not supported, missing kernel module?"},
	{"causes", "missing-file", "`rm xt_recent.ko*` (modules.dep unchanged)", []string{"KmodModuleFileMissing module=xt_recent"}, "1",
		"boot.log", "could not insert 'xt_recent': Unknown symbol in module"},
	{"causes", "release-mismatch", "{O}'s xt_recent.ko in {K}'s tree, `depmod`", []string{"KmodModuleReleaseMismatch module=xt_recent path=/lib/modules/{K}/kernel/net/netfilter/xt_recent.ko"}, "1",
		"boot.log", "could not insert 'xt_recent': Exec format error"},
	{"causes", "deps-missing", "`rm ip_set.ko*; depmod`", []string{"KmodModuleFileMissing module=ip_set", "KmodModuleNotLoaded module=ipt_REJECT"}, "1",
		"boot.log", "could not insert 'xt_set': Unknown symbol in module"},
	{"causes", "depmod-stale", "xt_recent.ko installed after `depmod`", []string{"KmodDepmodIndexStale module=xt_recent", "KmodModuleNotLoaded module=xt_recent"}, "1",
		"boot.log", "Module xt_recent not found in directory /lib/modules/{K}"},
	{"causes", "memory-pressure", "a hog at twice its cgroup's `memory.high`", nil, "0", "psi.after", "full avg10="},
	{"causes", "not-persistent", "`modprobe xt_LOG` by hand, `--module xt_LOG`", []string{"KmodModuleNotPersistent module=xt_LOG"}, "0", "modprobe-xt_LOG.exit", "0"},
	{"reboot", "reboot", "reboot into {K} (xt_LOG loaded by hand before; xt_recent missing from {K})", []string{"KmodModuleFileMissing module=xt_recent", "KmodModuleNotLoaded module=xt_LOG"}, "1",
		"boot.log", "Extension recent revision 0 not supported, missing kernel module?"},
	{"causes", "next-boot", "`rm` {O}'s xt_recent.ko*, `depmod {O}`", []string{"KmodNextBootModuleMissing module=xt_recent release={O}"}, "0", "other-modules.dep", "0"},
	{"causes", "conntrack-near-full", "`nf_conntrack_max=64`, 62 UDP flows on lo", []string{"KmodConntrackTableNearFull"}, "0",
		"dmesg.full", "nf_conntrack: table full, dropping packet"},
	{"causes", "unprivileged", "the healthy host, exporter as uid 65534", nil, "0", "perm", "-r--r----- "},
	{"cmdline", "cmdline", "boot with `module_blacklist=xt_recent modprobe.blacklist=xt_multiport`", []string{
		"KmodModuleBlacklisted module=xt_multiport path=/proc/cmdline line=1", "KmodModuleDisabled module=xt_recent path=/proc/cmdline line=1"}, "1",
		"modprobe-xt_recent.log", "could not insert 'xt_recent': Operation not permitted"},
	{"no-tree", "no-tree", "boot {K} with only {O}'s tree", []string{"KmodNoModulesForRunningKernel"}, "1",
		"boot.log", "Module nf_conntrack not found in directory /lib/modules/{K}"},
}

// checkCauses: every documented cause, reproduced on both real kernels;
// the exporter's verdict, exit status and alerts against what the kernel
// did.
func checkCauses(t *testing.T, ks []Kernel, results map[string]*Result) {
	targets := map[string]string{}
	type row struct {
		name, k, other string // the target's name; the running and the other release
		e              expectation
		s              scenario
		alerts         []string
	}
	var rows []row
	for i, k := range ks {
		o := ks[(i+1)%len(ks)]
		for _, e := range expectations {
			r := results[k.Release+"/"+e.boot]
			if r == nil {
				continue // VMTEST_ONLY
			}
			running, other := k.Release, o.Release
			if e.boot == "reboot" {
				running, other = o.Release, k.Release
			}
			subst := strings.NewReplacer("{K}", running, "{O}", other)
			s := readScenario(t, r, e.scenario)
			name := k.Release + "/" + e.scenario
			rows = append(rows, row{name: name, k: running, other: other, e: e, s: s})
			targets[name] = s.file("metrics.prom")
			var want []string
			for _, c := range e.causes {
				if c == everyRequiredNotLoaded {
					for _, m := range s.verdict.Modules {
						want = append(want, "KmodModuleNotLoaded module="+m.Module)
					}
					continue
				}
				want = append(want, subst.Replace(c))
			}
			if got := s.verdict.causeIDs(); !slices.Equal(got, testenv.Sorted(want)) {
				t.Errorf("%s: check's causes\n got %q\nwant %q", name, got, testenv.Sorted(want))
			}
			if s.exit != e.exit {
				t.Errorf("%s: check exit %s, want %s (stderr %s)", name, s.exit, e.exit, s.file("check.err"))
			}
			if ev := s.file(e.evidence); !strings.Contains(ev, subst.Replace(e.message)) {
				t.Errorf("%s: the kernel's account in %s lacks %q:\n%s", name, e.evidence, subst.Replace(e.message), tail(ev, 20))
			}
			// The exporter's loaded column is the kernel's /proc/modules.
			for _, m := range s.verdict.Modules {
				if !m.Builtin && m.Loaded != s.loaded[m.Module] {
					t.Errorf("%s: %s loaded=%v, /proc/modules says %v", name, m.Module, m.Loaded, s.loaded[m.Module])
				}
			}
			checkScenarioSpecifics(t, name, e, s, results[k.Release+"/causes"])
		}
	}
	alerts := firingAlerts(t, targets)
	for i, rw := range rows {
		name := rw.name
		rows[i].alerts = alerts[name]
		checkAlerts(t, name, alerts[name], rw.s.verdict)
	}
	if dir := os.Getenv("VMTEST_TABLE"); dir != "" {
		var b strings.Builder
		b.WriteString("| cause | kernel | reproduced by | the kernel's failure | exporter (`check`) | exit | alerts |\n|---|---|---|---|---|---|---|\n")
		for _, rw := range rows {
			subst := strings.NewReplacer("{K}", rw.k, "{O}", rw.other)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", rw.e.scenario, rw.k, subst.Replace(rw.e.command),
				evidenceLine(rw.s.file(rw.e.evidence), subst.Replace(rw.e.message)), strings.Join(rw.s.verdict.causeIDs(), "<br>"), rw.s.exit, strings.Join(rw.alerts, "<br>"))
		}
		os.WriteFile(filepath.Join(dir, "causes.md"), []byte(b.String()), 0o644)
	}
}

// checkAlerts: the firing alerts are exactly the causes check reports, one
// alert per cause: the rules alone leave out the symptoms a cause explains
// (not loaded, match or target not registered), with no Alertmanager.
func checkAlerts(t *testing.T, name string, got []string, v verdict) {
	want := v.causeIDs()
	for _, c := range want {
		if !slices.Contains(got, c) {
			t.Errorf("%s: check's cause %q fires no alert (firing: %q)", name, c, got)
		}
	}
	for _, a := range got {
		if slices.Contains(want, a) {
			continue
		}
		// Name what check found for that module: a symptom beside its
		// cause means an exclusion is missing from the rules.
		_, mod, _ := strings.Cut(a, " module=")
		mod, _, _ = strings.Cut(mod, " ")
		m, _ := v.module(mod)
		t.Errorf("%s: alert %q fires, and check reports no such cause (check, for %q: %+v)", name, a, mod, m.Causes)
	}
}

// evidenceLine is the line of the kernel's account that holds the message.
func evidenceLine(text, msg string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, msg) {
			return "`" + strings.TrimSpace(strings.ReplaceAll(l, "|", "\\|")) + "`"
		}
	}
	return ""
}

// checkScenarioSpecifics checks what only some scenarios have.
func checkScenarioSpecifics(t *testing.T, name string, e expectation, s scenario, causes *Result) {
	switch e.scenario {
	case "unprivileged":
		healthy := readScenario(t, causes, "healthy")
		if !reflect.DeepEqual(s.verdict.Modules, healthy.verdict.Modules) {
			t.Errorf("%s: uid 65534's verdict differs from root's:\n%+v\n%+v", name, s.verdict.Modules, healthy.verdict.Modules)
		}
		if !strings.Contains(s.file("metrics.prom"), "\nkmod_xtables_readable{family=\"ipv4\"} 0\n") || !strings.Contains(healthy.file("metrics.prom"), "\nkmod_xtables_readable{family=\"ipv4\"} 1\n") {
			t.Errorf("%s: kmod_xtables_readable is not 0 for uid 65534 and 1 for root", name)
		}
	case "not-loaded-fixed":
		for f, b := range s.r.Files {
			if strings.HasPrefix(f, "not-loaded-fixed/modprobe-") && strings.HasSuffix(f, ".exit") && strings.TrimSpace(string(b)) != "0" {
				t.Errorf("%s: %s = %s: the fix did not load the module", name, f, b)
			}
		}
	case "memory-pressure":
		checkPSI(t, name, s)
	case "conntrack-near-full":
		if !strings.Contains(s.file("metrics.prom"), "\nkmod_conntrack_entries_limit 64\n") {
			t.Errorf("%s: kmod_conntrack_entries_limit is not the kernel's 64", name)
		}
	case "latent":
		// Loaded while the exporter warned; refused by both loaders once
		// the firewall is reloaded as a reboot does (modprobe -b for the
		// boot list, iptables' requests by alias), and the rules fail.
		reload := s.file("reload/proc_modules")
		for _, m := range []string{"xt_recent", "ipt_REJECT"} {
			if after := slices.Contains(strings.Fields(reload), m); !s.loaded[m] || after {
				t.Errorf("%s: %s loaded %v before the reload, %v after, want true then false", name, m, s.loaded[m], after)
			}
		}
		if log := s.file("reload/boot.log"); !strings.Contains(log, "Extension REJECT revision 0 not supported") || strings.Contains(log, "iptables-restore exit 0") {
			t.Errorf("%s: iptables-restore did not refuse the disabled REJECT target:\n%s", name, tail(log, 10))
		}
	case "reboot":
		if s.loaded["xt_LOG"] {
			t.Errorf("%s: xt_LOG, loaded by hand before the reboot, is loaded after it", name)
		}
	}
}

var psiLine = regexp.MustCompile(`(?m)^(some|full) avg10=(\S+) avg60=(\S+) avg300=(\S+)`)

// checkPSI: each ratio the exporter reports is /proc/pressure/memory's
// average (percent / 100) as read just before or just after it.
func checkPSI(t *testing.T, name string, s scenario) {
	metrics := s.file("metrics.prom")
	windows := []string{"10s", "60s", "300s"}
	var checked int
	for _, kind := range []string{"some", "full"} {
		for w, window := range windows {
			got, ok := sample(metrics, fmt.Sprintf(`kmod_memory_pressure_ratio{kind=%q,window=%q}`, kind, window))
			if !ok {
				t.Errorf("%s: no kmod_memory_pressure_ratio{kind=%q,window=%q}", name, kind, window)
				continue
			}
			var seen []float64
			for _, f := range []string{"psi.before", "psi.after"} {
				for _, m := range psiLine.FindAllStringSubmatch(s.file(f), -1) {
					if m[1] == kind {
						v, _ := strconv.ParseFloat(m[2+w], 64)
						seen = append(seen, v/100)
					}
				}
			}
			if !slices.ContainsFunc(seen, func(v float64) bool { return math.Abs(v-got) < 1e-9 }) {
				t.Errorf("%s: %s %s ratio %v, /proc/pressure/memory said %v", name, kind, window, got, seen)
			}
			checked++
		}
	}
	if v, _ := sample(metrics, `kmod_memory_pressure_ratio{kind="some",window="10s"}`); v == 0 {
		t.Errorf("%s: the hog made no memory pressure:\n%s", name, s.file("psi.after"))
	}
	t.Logf("%s: %d PSI ratios equal the kernel's; the hog's pressure:\n%s", name, checked, s.file("psi.after"))
}

// sample is a series' value in the text format.
func sample(text, series string) (float64, bool) {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// keep copies every guest's output under VMTEST_KEEP, for a look by hand.
func keep(results map[string]*Result) {
	dir := os.Getenv("VMTEST_KEEP")
	if dir == "" {
		return
	}
	for name, r := range results {
		for f, b := range r.Files {
			p := filepath.Join(dir, name, f)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, b, 0o644)
		}
		os.WriteFile(filepath.Join(dir, name, "console.log"), []byte(r.Console), 0o644)
	}
}
