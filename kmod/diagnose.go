package kmod

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
)

// Cause is one documented reason a required module is, or will be, missing.
// Alert names the Prometheus alert of the same cause (alerts/), whose
// summary and fix describe it; Labels are that alert's labels.
type Cause struct {
	Alert    string            `json:"alert"`
	Severity string            `json:"severity"`
	Labels   map[string]string `json:"labels"`
}

// ModuleReport is a required module, its checks and its causes.
type ModuleReport struct {
	Module  string       `json:"module"`
	Sources []string     `json:"required_by"`
	Status  ModuleStatus `json:"-"`
	Causes  []Cause      `json:"causes"`
}

// Healthy reports whether no critical cause holds for the module.
func (m ModuleReport) Healthy() bool {
	for _, c := range m.Causes {
		if c.Severity == "critical" {
			return false
		}
	}
	return true
}

// Diagnosis is what is wrong on a host, cause by cause, as the alerts would
// page for it after Alertmanager's inhibitions: a specific cause replaces
// "not loaded", and a missing module tree replaces every module cause.
type Diagnosis struct {
	Kernel     Kernel         `json:"-"`
	HostCauses []Cause        `json:"host_causes"`
	Modules    []ModuleReport `json:"modules"`
}

// Healthy reports whether no critical cause holds on the host.
func (d Diagnosis) Healthy() bool {
	for _, c := range d.HostCauses {
		if c.Severity == "critical" {
			return false
		}
	}
	for _, m := range d.Modules {
		if !m.Healthy() {
			return false
		}
	}
	return true
}

// HostFacts are the host-wide readings the diagnosis weighs.
type HostFacts struct {
	Config    KernelConfig // nil when the host has none
	Memory    Memory
	Conntrack Conntrack
	Iptables  string // installed iptables package version, "" if unknown
}

// outdatedIptables matches iptables releases before 1.8.7, as the
// KmodIptablesOutdated alert does.
var outdatedIptables = regexp.MustCompile(`^((0|1\.[0-7])\..*|1\.8\.[0-6]([^0-9].*)?)$`)

// Diagnose finds the causes that hold for each required module.
func (s *Snapshot) Diagnose(required map[string][]string, facts HostFacts) Diagnosis {
	d := Diagnosis{Kernel: s.Kernel}
	noTree := s.ModuleSupport && !s.ModulesDirPresent
	if noTree {
		d.HostCauses = append(d.HostCauses, Cause{"KmodNoModulesForRunningKernel", "critical", map[string]string{"release": s.Release}})
	}
	if c := facts.Conntrack; c.Available && c.Limit > 0 && float64(c.Entries)/float64(c.Limit) > 0.9 {
		d.HostCauses = append(d.HostCauses, Cause{"KmodConntrackTableNearFull", "warning", map[string]string{}})
	}
	if facts.Iptables != "" && outdatedIptables.MatchString(facts.Iptables) {
		d.HostCauses = append(d.HostCauses, Cause{"KmodIptablesOutdated", "info", map[string]string{"version": facts.Iptables}})
	}
	pressure := facts.Memory.HasFull && facts.Memory.Full.Avg60/100 > 0.1 || facts.Memory.HasAvailable && facts.Memory.AvailableRatio < 0.05
	names := make([]string, 0, len(required))
	for m := range required {
		names = append(names, m)
	}
	sort.Strings(names)
	for _, name := range names {
		st := s.Module(name)
		r := ModuleReport{Module: name, Sources: required[name], Status: st}
		cause := func(alert, severity string, labels map[string]string) {
			labels["module"] = name
			r.Causes = append(r.Causes, Cause{alert, severity, labels})
		}
		if !noTree {
			s.moduleCauses(st, facts, pressure, cause)
			if st.DepStale {
				cause("KmodDepmodIndexStale", "warning", map[string]string{})
			}
			for _, rel := range s.OtherReleases() {
				if !s.PresentInRelease(name, rel) {
					cause("KmodNextBootModuleMissing", "warning", map[string]string{"release": rel})
				}
			}
		}
		if st.Loaded && !st.Builtin && !st.LoadOnBoot && slices.ContainsFunc(r.Sources, func(src string) bool {
			return src == "config" || src == "flag" || src == "default"
		}) {
			cause("KmodModuleNotPersistent", "info", map[string]string{})
		}
		d.Modules = append(d.Modules, r)
	}
	return d
}

// moduleCauses finds why a module is not loaded, most specific first; "not
// loaded" only when nothing more specific holds.
func (s *Snapshot) moduleCauses(st ModuleStatus, facts HostFacts, pressure bool, cause func(string, string, map[string]string)) {
	if st.Loaded {
		return
	}
	if !s.ModuleSupport {
		cause("KmodKernelWithoutModuleSupport", "critical", map[string]string{})
		return
	}
	specific := false
	for _, b := range st.Blocks {
		labels := map[string]string{"path": b.Path, "line": strconv.Itoa(b.Line), "directive": b.Directive}
		switch {
		case b.Disables && st.Disabled:
			cause("KmodModuleDisabled", "critical", labels)
		case !b.Disables && st.Blacklisted:
			cause("KmodModuleBlacklisted", "critical", labels)
		}
		specific = true
	}
	sym, haveSym := ConfigSymbol(st.Name)
	switch {
	case !st.OnDisk && !st.Builtin && haveSym && facts.Config != nil && facts.Config.Tristate(sym) == "n":
		cause("KmodKernelBuiltWithoutModule", "critical", map[string]string{"symbol": sym, "value": "n"})
		specific = true
	case !st.OnDisk && !st.Builtin:
		cause("KmodModuleFileMissing", "critical", map[string]string{"release": s.Release})
		specific = true
	case st.OnDisk && st.FileErr != nil:
		// The file, not its release, is what is wrong: its vermagic was
		// never read, so a release mismatch would be a guess.
		cause("KmodModuleFileUnreadable", "critical", map[string]string{"path": st.File, "reason": FileErrReason(st.FileErr)})
		specific = true
	case st.OnDisk && !st.ReleaseMatch:
		cause("KmodModuleReleaseMismatch", "critical", map[string]string{"path": st.File, "file_release": st.FileRelease, "release": s.Release})
		specific = true
	}
	if !st.DepsOK {
		for _, dep := range st.Deps {
			if !dep.Usable {
				cause("KmodModuleDependencyMissing", "critical", map[string]string{"dependency": dep.Name})
				specific = true
			}
		}
	}
	if pressure {
		cause("KmodModuleNotLoadedMemoryPressure", "critical", map[string]string{})
		specific = true
	}
	if !specific {
		cause("KmodModuleNotLoaded", "critical", map[string]string{})
	}
}
