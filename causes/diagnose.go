package causes

import (
	"regexp"
	"slices"
	"sort"
	"strconv"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// Cause is one documented cause found on a host. Alert names the Prometheus
// alert of the same cause, whose summary and fix describe it; Labels are
// that alert's labels.
type Cause struct {
	Alert    string            `json:"alert"`
	Severity string            `json:"severity"`
	Labels   map[string]string `json:"labels"`
}

// severities are the causes' severities by name, so a found cause carries
// the one its alert has.
var severities = func() map[string]string {
	m := map[string]string{}
	for _, d := range All() {
		m[d.Name] = d.Severity
	}
	return m
}()

func found(name string, labels map[string]string) Cause {
	return Cause{Alert: name, Severity: severities[name], Labels: labels}
}

// ModuleReport is a required module, its checks and its causes.
type ModuleReport struct {
	Module  string            `json:"module"`
	Sources []string          `json:"required_by"`
	Status  kmod.ModuleStatus `json:"-"`
	Causes  []Cause           `json:"causes"`
	// FollowsFrom are the modules it depends on whose causes explain why it
	// is not loaded; its own symptoms are left out for them, as the
	// alerts' rules leave them out (see followDependency).
	FollowsFrom []string `json:"follows_from,omitempty"`
}

// Healthy reports whether no critical cause holds for the module and no
// dependency's cause stops it loading.
func (m ModuleReport) Healthy() bool { return !anyCritical(m.Causes) && len(m.FollowsFrom) == 0 }

func anyCritical(cs []Cause) bool {
	return slices.ContainsFunc(cs, func(c Cause) bool { return c.Severity == Critical })
}

// Diagnosis is what is wrong on a host, cause by cause, as the alerts would
// page for it after Alertmanager's inhibitions: a specific cause replaces
// "not loaded", and a missing module tree replaces every module cause.
type Diagnosis struct {
	Kernel     kmod.Kernel    `json:"-"`
	HostCauses []Cause        `json:"host_causes"`
	Modules    []ModuleReport `json:"modules"`
}

// Healthy reports whether no critical cause holds on the host.
func (d Diagnosis) Healthy() bool {
	return !anyCritical(d.HostCauses) && !slices.ContainsFunc(d.Modules, func(m ModuleReport) bool { return !m.Healthy() })
}

// HostFacts are the host-wide readings the diagnosis weighs.
type HostFacts struct {
	Config    kmod.KernelConfig // nil when the host has none
	Memory    kmod.Memory
	Conntrack kmod.Conntrack
	Iptables  string // installed iptables package version, "" if unknown
}

// outdatedIptables matches what the IptablesOutdated alert's regex does;
// Prometheus anchors it, so it is anchored here.
var outdatedIptables = regexp.MustCompile(`^(` + iptablesOutdatedPattern + `)$`)

// Diagnose finds the causes that hold on the host of s for each module the
// requirement set asks for and for the host itself.
func Diagnose(s *kmod.Snapshot, set kmod.RequirementSet, facts HostFacts) Diagnosis {
	required := s.Resolved(set)
	d := Diagnosis{Kernel: s.Kernel, HostCauses: hostFound(s, facts)}
	noTree := s.ModuleSupport && !s.ModulesDirPresent
	pressure := facts.Memory.HasFull && facts.Memory.Full.Avg60/100 > MemoryPressureFullRatio ||
		facts.Memory.HasAvailable && facts.Memory.AvailableRatio < MemoryAvailableRatio
	names := make([]string, 0, len(required))
	for m := range required {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, name := range names {
		st := s.Module(name)
		r := ModuleReport{Module: name, Sources: required[name], Status: st}
		cause := func(alert string, labels map[string]string) {
			labels["module"] = name
			r.Causes = append(r.Causes, found(alert, labels))
		}
		if unknown := s.ModuleSupport && !noTree && !st.Known; unknown {
			// Nothing could load a name no tree knows: not a missing file,
			// nor a module the next kernel lacks.
			for _, o := range s.Origins(set, name) {
				cause(RequirementUnknown, map[string]string{"source": o.Source, "path": o.Path, "line": strconv.Itoa(o.Line)})
			}
		} else if !noTree {
			notLoadedCauses(s, st, facts, pressure, required, cause)
			nextLoadCauses(s, st, required, cause)
			if st.DepStale {
				cause(DepmodIndexStale, map[string]string{})
			}
			for _, rel := range s.OtherReleases() {
				if !s.PresentInRelease(name, rel) {
					cause(NextBootModuleMissing, map[string]string{"release": rel})
				}
			}
		}
		// Only for modules named in the configuration alone: a ruleset's or
		// a firewall manager's start loads its modules at every boot.
		if st.Loaded && !st.Builtin && !st.LoadOnBoot && len(r.Sources) > 0 && !slices.ContainsFunc(r.Sources, func(src string) bool {
			return src != "config" && src != "flag" && src != "default"
		}) {
			cause(ModuleNotPersistent, map[string]string{})
		}
		// Where a tree places the module, as kmod_module_tree_info says:
		// the fix names DKMS or the kernel package.
		if tree := s.ModuleTree(name); tree != "" && !st.Builtin {
			for _, c := range r.Causes {
				if def, ok := Lookup(c.Alert); ok && def.ByPurpose() {
					c.Labels["tree"] = tree
				}
			}
		}
		d.Modules = append(d.Modules, r)
	}
	applyPurpose(d.Modules)
	explainByDependencies(d.Modules)
	return d
}

// applyPurpose labels each ByPurpose cause with why its module is required,
// as the rules do: "firewall" when a source other than a boot list requires
// it, or a module so required that is not loaded depends on it; else
// "boot", whose causes are warnings.
func applyPurpose(mods []ModuleReport) {
	firewall := map[string]bool{}
	for _, m := range mods {
		if slices.ContainsFunc(m.Sources, func(src string) bool { return !isBootSource(src) }) {
			firewall[m.Module] = true
		}
	}
	for _, m := range mods {
		if firewall[m.Module] && !m.Status.Loaded {
			for _, dep := range m.Status.Deps {
				firewall[dep.Name] = true
			}
		}
	}
	for _, m := range mods {
		purpose := ForBoot
		if firewall[m.Module] {
			purpose = ForFirewall
		}
		for i, c := range m.Causes {
			if d, ok := Lookup(c.Alert); ok && d.ByPurpose() {
				m.Causes[i].Labels["required_for"] = purpose
				if purpose == ForBoot {
					m.Causes[i].Severity = Warning
				}
			}
		}
	}
}

// isBootSource tells the boot lists among the requirement sources.
func isBootSource(src string) bool { return src == "modules-load.d" || src == "cmdline" }

// explainByDependencies leaves out each module's symptoms (followDependency)
// that a cause of a module it depends on explains, and names that module
// in FollowsFrom. A cause explains only while it is not itself left out,
// as an alert quiet by its rule is no ALERTS series; modules.dep lists
// dependencies transitively, so the root of a chain is always among them.
func explainByDependencies(mods []ModuleReport) {
	byName := make(map[string]int, len(mods))
	for i, m := range mods {
		byName[m.Module] = i
	}
	follows := make([][]string, len(mods))
	state := make([]byte, len(mods)) // 0 unvisited, 1 visiting, 2 done
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return // done, or a cycle modules.dep cannot have
		}
		state[i] = 1
		for _, dep := range mods[i].Status.Deps {
			j, ok := byName[dep.Name]
			if !ok || j == i {
				continue
			}
			visit(j)
			if slices.ContainsFunc(mods[j].Causes, func(c Cause) bool {
				return slices.Contains(explainsDependents, c.Alert) && (!slices.Contains(followDependency, c.Alert) || len(follows[j]) == 0)
			}) {
				follows[i] = append(follows[i], dep.Name)
			}
		}
		state[i] = 2
	}
	for i := range mods {
		if !mods[i].Status.Loaded {
			visit(i)
		}
	}
	for i := range mods {
		if len(follows[i]) == 0 || mods[i].Status.Loaded {
			continue
		}
		mods[i].Causes = slices.DeleteFunc(mods[i].Causes, func(c Cause) bool { return slices.Contains(followDependency, c.Alert) })
		if len(mods[i].Causes) == 0 {
			// With a cause of its own (blacklisted too), loading it would
			// not load the dependency: that cause is what to fix.
			mods[i].FollowsFrom = follows[i]
		}
	}
}

// hostFound are the causes that hold for the host as a whole.
func hostFound(s *kmod.Snapshot, facts HostFacts) []Cause {
	var out []Cause
	if s.ModuleSupport && !s.ModulesDirPresent {
		out = append(out, found(NoModulesForRunningKernel, map[string]string{"release": s.Release}))
	}
	if c := facts.Conntrack; c.Available && c.Limit > 0 && float64(c.Entries)/float64(c.Limit) > ConntrackNearFullRatio {
		out = append(out, found(ConntrackTableNearFull, map[string]string{}))
	}
	if facts.Iptables != "" && outdatedIptables.MatchString(facts.Iptables) {
		out = append(out, found(IptablesOutdated, map[string]string{"version": facts.Iptables}))
	}
	return out
}

// notLoadedCauses finds why a module is not loaded, most specific first;
// "not loaded" only when nothing more specific holds.
func notLoadedCauses(s *kmod.Snapshot, st kmod.ModuleStatus, facts HostFacts, pressure bool, required map[string][]string, cause func(string, map[string]string)) {
	if st.Loaded {
		return
	}
	if !s.ModuleSupport {
		cause(KernelWithoutModuleSupport, map[string]string{})
		return
	}
	// A required module that depends on it loads it despite a blacklist,
	// so the blacklist is not why it is missing (nextLoadCauses likewise).
	bypassed := st.Blacklisted && len(s.LoadedAsDependency(st.Name, required)) > 0
	specific := false
	for _, b := range st.Blocks {
		labels := map[string]string{"path": b.Path, "line": strconv.Itoa(b.Line), "directive": b.Directive}
		switch {
		case b.Disables && st.Disabled:
			cause(ModuleDisabled, labels)
		case !b.Disables && st.Blacklisted && !bypassed:
			cause(ModuleBlacklisted, labels)
		default:
			continue
		}
		specific = true
	}
	if fileCause(s, st, facts, cause) {
		specific = true
	}
	if !st.DepsOK {
		for _, dep := range st.Deps {
			if !dep.Usable {
				cause(ModuleDependencyMissing, map[string]string{"dependency": dep.Name})
				specific = true
			}
		}
	}
	if pressure {
		cause(ModuleNotLoadedMemoryPressure, map[string]string{})
		specific = true
	}
	if !specific {
		cause(ModuleNotLoaded, map[string]string{})
	}
}

// nextLoadCauses finds why a loaded module could not be loaded again (at
// the next reboot or rule reload), as KmodModuleNextLoadFails says: one
// cause per blocking line, or what is wrong with its file. A built-in
// module is never loaded again.
func nextLoadCauses(s *kmod.Snapshot, st kmod.ModuleStatus, required map[string][]string, cause func(string, map[string]string)) {
	if !st.Loaded || st.Builtin {
		return
	}
	// A required module that depends on it loads it despite a blacklist.
	bypassed := st.Blacklisted && len(s.LoadedAsDependency(st.Name, required)) > 0
	for _, b := range st.Blocks {
		labels := map[string]string{"path": b.Path, "line": strconv.Itoa(b.Line), "directive": b.Directive}
		switch {
		case b.Disables && st.Disabled:
			labels["reason"] = "disabled"
		case !b.Disables && st.Blacklisted && !bypassed:
			labels["reason"] = "blacklisted"
		default:
			continue
		}
		cause(ModuleNextLoadFails, labels)
	}
	switch {
	case !st.OnDisk:
		cause(ModuleNextLoadFails, map[string]string{"reason": "file_missing"})
	case st.FileErr != nil:
		cause(ModuleNextLoadFails, map[string]string{"reason": "file_unreadable", "path": st.File, "error": kmod.FileErrReason(st.FileErr)})
	case !st.ReleaseMatch:
		cause(ModuleNextLoadFails, map[string]string{"reason": "release_mismatch", "path": st.File, "file_release": st.FileRelease})
	}
}

// fileCause finds what is wrong with the module's file, if anything, and
// reports whether it found a cause.
func fileCause(s *kmod.Snapshot, st kmod.ModuleStatus, facts HostFacts, cause func(string, map[string]string)) bool {
	sym, haveSym := kmod.ConfigSymbol(st.Name)
	switch {
	case !st.OnDisk && !st.Builtin && haveSym && facts.Config != nil && facts.Config.Tristate(sym) == "n":
		cause(KernelBuiltWithoutModule, map[string]string{"symbol": sym, "value": "n"})
	case !st.OnDisk && !st.Builtin:
		cause(ModuleFileMissing, map[string]string{"release": s.Release})
	case st.OnDisk && st.FileErr != nil:
		// The file, not its release, is what is wrong: its vermagic was
		// never read, so a release mismatch would be a guess.
		cause(ModuleFileUnreadable, map[string]string{"path": st.File, "reason": kmod.FileErrReason(st.FileErr)})
	case st.OnDisk && !st.ReleaseMatch:
		cause(ModuleReleaseMismatch, map[string]string{"path": st.File, "file_release": st.FileRelease, "release": s.Release})
	default:
		return false
	}
	return true
}

// CannotSee is the diagnosis of an exporter whose paths do not show a
// host: one cause per such filesystem and nothing about the host, since
// nothing read through them is the host's.
func CannotSee(blind []kmod.Blindness) Diagnosis {
	var d Diagnosis
	for _, b := range blind {
		d.HostCauses = append(d.HostCauses, found(ExporterCannotSeeHost, map[string]string{"filesystem": b.Filesystem, "path": b.Path, "reason": b.Reason}))
	}
	return d
}
