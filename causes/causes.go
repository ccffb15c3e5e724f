// Package causes holds every documented cause of a firewall's kernel module
// not loading, written once: its alert name, severity, condition with named
// thresholds, summary, description, fix and runbook. The alert and
// recording rules (alerts/), the mixin's thresholds, the dashboard's cause
// table and check's output are generated from it, and Diagnose finds the
// same causes on a host snapshot.
package causes

import (
	"math"
	"strconv"
	"strings"
)

// The alert names, one per cause.
const (
	ModuleNotLoaded               = "KmodModuleNotLoaded"
	ModuleBlacklisted             = "KmodModuleBlacklisted"
	ModuleDisabled                = "KmodModuleDisabled"
	ModuleFileMissing             = "KmodModuleFileMissing"
	RequirementUnknown            = "KmodRequirementUnknown"
	NoModulesForRunningKernel     = "KmodNoModulesForRunningKernel"
	ModuleReleaseMismatch         = "KmodModuleReleaseMismatch"
	ModuleFileUnreadable          = "KmodModuleFileUnreadable"
	ModuleDependencyMissing       = "KmodModuleDependencyMissing"
	ModuleNotLoadedMemoryPressure = "KmodModuleNotLoadedMemoryPressure"
	KernelBuiltWithoutModule      = "KmodKernelBuiltWithoutModule"
	KernelWithoutModuleSupport    = "KmodKernelWithoutModuleSupport"
	DepmodIndexStale              = "KmodDepmodIndexStale"
	ModuleNotPersistent           = "KmodModuleNotPersistent"
	NextBootModuleMissing         = "KmodNextBootModuleMissing"
	ModuleNextLoadFails           = "KmodModuleNextLoadFails"
	XtablesMatchNotRegistered     = "KmodXtablesMatchNotRegistered"
	XtablesTargetNotRegistered    = "KmodXtablesTargetNotRegistered"
	IptablesOutdated              = "KmodIptablesOutdated"
	ConntrackTableNearFull        = "KmodConntrackTableNearFull"
	ExporterCollectorFailed       = "KmodExporterCollectorFailed"
	ModulesCollectorFailed        = "KmodExporterModulesCollectorFailed"
	ExporterCannotSeeHost         = "KmodExporterCannotSeeHost"
	ExporterDown                  = "KmodExporterDown"
	TextfileStale                 = "KmodTextfileStale"
)

// The severity label of an alert.
const (
	Critical = "critical"
	Warning  = "warning"
	Info     = "info"
)

// The thresholds of the causes; the mixin's _config overrides them.
const (
	// ConntrackNearFullRatio: conntrack table use above which new
	// connections are about to be dropped.
	ConntrackNearFullRatio = 0.9
	// MemoryPressureFullRatio: share of the last minute all tasks stalled
	// on memory above which a module load may fail to allocate.
	MemoryPressureFullRatio = 0.1
	// MemoryAvailableRatio: MemAvailable / MemTotal below which the same
	// holds.
	MemoryAvailableRatio = 0.05
	// TextfileStaleSeconds: age of kmod.prom past which the textfile
	// timer (every minute) has stopped.
	TextfileStaleSeconds = 300
	// OldestGoodIptables is the first iptables release that handles current
	// kernels' modules; iptablesOutdatedPattern matches the releases before.
	OldestGoodIptables      = "1.8.7"
	iptablesOutdatedPattern = `(0|1\.[0-7])\..*|1\.8\.[0-6]([^0-9].*)?`
	// ExporterDownFor: like kube-prometheus' TargetDown, a restart is not
	// worth a page.
	ExporterDownFor = "10m"
	// ModuleKeepFiringFor: a firing module alert stays firing that long
	// while some collector fails or the exporter cannot be scraped (its
	// series are gone), so such a failure never resolves a page, while a
	// fix seen by a working exporter resolves it at once (unlike
	// keep_firing_for). KmodExporterModulesCollectorFailed, critical after
	// ModulesCollectorFailedFor, takes over well before it ends.
	ModuleKeepFiringFor       = "15m"
	ModulesCollectorFailedFor = "5m"
	// ExporterSelector selects the exporter's scrape targets in up{...}.
	ExporterSelector = `job=~".*kmod.*"`
)

// RunbookBase is where the runbooks live (alerts/runbooks/); `make alerts
// RUNBOOK_BASE=...` and the mixin's runbookURLBase replace it.
const RunbookBase = "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/"

// The rule groups, in the order the rules file lists them.
const (
	groupModules  = "kmod_exporter.modules"
	groupFirewall = "kmod_exporter.firewall"
	groupExporter = "kmod_exporter.exporter"
)

// Definition is one cause as its alert states it. Description and Fix are
// Prometheus templates (with $labels), kept as the lines the rules file
// folds with spaces, so the generated file reads as it always did.
type Definition struct {
	Name, Group, Severity, For string
	// KeepFiringFor keeps the alert firing that long after its condition
	// stops holding while the exporter does not read the host in full
	// ("" not at all): see ModuleKeepFiringFor.
	KeepFiringFor string
	// Why are comment lines the rules file shows above the expression.
	Why     []string
	Expr    string
	Summary string
	// BootSummary, when set, makes the alert follow why its module is
	// required: a module only a boot list asks for (required_for="boot")
	// pages as a warning with this summary, one a firewall needs as
	// Severity with Summary. The rule computes the label (RuleExpr).
	BootSummary string
	Description []string
	Fix         []string
}

// ByPurpose reports whether the alert's severity and summary follow why its
// module is required (see BootSummary).
func (d Definition) ByPurpose() bool { return d.BootSummary != "" }

// The values of the required_for label of a ByPurpose alert.
const (
	ForFirewall = "firewall"
	ForBoot     = "boot"
)

// SeverityLabel is the severity label's value in the rule: Severity, or for
// a ByPurpose alert a template giving a boot module's alert Warning.
func (d Definition) SeverityLabel() string {
	if !d.ByPurpose() {
		return d.Severity
	}
	return `{{ if eq $labels.required_for "` + ForBoot + `" }}` + Warning + `{{ else }}` + d.Severity + `{{ end }}`
}

// SummaryText is the summary annotation's value.
func (d Definition) SummaryText() string {
	if !d.ByPurpose() {
		return d.Summary
	}
	return `{{ if eq $labels.required_for "` + ForBoot + `" }}` + d.BootSummary + `{{ else }}` + d.Summary + `{{ end }}`
}

// DescriptionText is the description annotation's value.
func (d Definition) DescriptionText() string { return strings.Join(d.Description, " ") }

// FixText is the fix annotation's value.
func (d Definition) FixText() string { return strings.Join(d.Fix, " ") }

// RunbookURL is the runbook_url annotation's value.
func (d Definition) RunbookURL() string { return RunbookBase + d.Name + ".md" }

// All returns every cause, in the order of the rules file.
func All() []Definition {
	all := append(append([]Definition{}, moduleCauses...), hostCauses...)
	for i, d := range all {
		if d.Group == groupModules && d.Severity == Critical {
			all[i].KeepFiringFor = ModuleKeepFiringFor
		}
	}
	return all
}

// Lookup returns the cause named name.
func Lookup(name string) (Definition, bool) {
	for _, d := range All() {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}

// ratio prints a threshold the way PromQL compares it: 0.25, not 2.5e-01.
func ratio(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

// percent prints a ratio as a percentage for the texts: 0.25 as 25%. Rounded,
// since a ratio times 100 is not always whole in floating point.
func percent(r float64) string {
	return strconv.FormatFloat(math.Round(r*100*1e6)/1e6, 'f', -1, 64) + "%"
}
