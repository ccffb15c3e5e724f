package causes

import (
	"fmt"
	"strings"
)

// The recording rules of the fleet views (the dashboard's Fleet row).
const (
	// UnhealthyRecord is one series per host, required module and cause.
	UnhealthyRecord = "instance_module:kmod_module_unhealthy:group"
	// HostsRecord counts hosts per cause and cluster.
	HostsRecord = "cluster_cause:kmod_hosts_unhealthy:count"
)

// FleetCause is a cause as the fleet views count it: the cause label of
// its UnhealthyRecord series, the condition selecting the host's unhealthy
// required modules, the alert whose runbook it links to, and how the
// dashboard shows it (title, what it says of a module, the fixture
// scenario showing it).
type FleetCause struct {
	Label, Condition, Alert string
	Title, Says, Scenario   string
}

// requiredClause limits a per-module condition to required modules.
const requiredClause = "  and on (job, instance, module) kmod_module_required\n"

// Fleet are the causes the fleet views count, in the dashboard's order.
var Fleet = []FleetCause{
	{Label: "not loaded", Alert: ModuleNotLoaded, Title: "Not loaded", Says: "is not loaded", Scenario: "not-loaded",
		Condition: "kmod_module_loaded == 0\n" + requiredClause},
	{Label: "blacklisted or disabled", Alert: ModuleBlacklisted, Title: "Blacklisted or disabled", Says: "is blacklisted or disabled", Scenario: "blacklisted",
		Condition: "(kmod_module_blacklisted == 1 or kmod_module_disabled == 1)\n" + requiredClause},
	{Label: "file missing", Alert: ModuleFileMissing, Title: "Missing on disk", Says: "has no file for the running kernel", Scenario: "missing-file",
		Condition: "kmod_module_present_on_disk == 0\n  and on (job, instance, module) kmod_module_builtin == 0\n" + requiredClause},
	{Label: "release mismatch", Alert: ModuleReleaseMismatch, Title: "Built for another kernel", Says: "has a file built for another kernel", Scenario: "release-mismatch",
		Condition: "kmod_module_release_match == 0\n  and on (job, instance, module) kmod_module_present_on_disk == 1\n" + requiredClause},
	{Label: "dependencies", Alert: ModuleDependencyMissing, Title: "Dependencies unsatisfied", Says: "has a dependency that cannot load", Scenario: "deps-missing",
		Condition: "kmod_module_dependencies_satisfied == 0\n" + requiredClause},
	{Label: "missing in an installed release", Alert: NextBootModuleMissing, Title: "Next-boot risk",
		Says: "is missing from another installed kernel (the next boot may run it)", Scenario: "upgrade-pending",
		Condition: "kmod_module_present_for_release == 0\n" + requiredClause},
}

const recordingHeader = `# Generated from causes/ by ` + "`go test ./alerts -run TestGenerated -update`" + `; do not edit.
# Recording rules for the fleet views (the dashboard's Fleet row): which
# hosts have a required module with each documented cause, and how many
# hosts per cause per cluster. A fleet-wide panel then reads a few series
# per cluster instead of every module series of every host. They run in
# Prometheus, or in Thanos Ruler or Mimir's ruler across servers, where the
# cluster label (an external label per Prometheus) tells clusters apart;
# without one, cluster is empty.
groups:
  - name: kmod_exporter.fleet
    rules:
      # One series (value 1) per host, required module and cause.
`

// RecordingYAML is alerts/kmod_exporter.recording.yml.
func RecordingYAML() []byte {
	var b strings.Builder
	b.WriteString(recordingHeader)
	for _, c := range Fleet {
		fmt.Fprintf(&b, "      - record: %s\n", UnhealthyRecord)
		writeExpr(&b, "        ", "group by (cluster, job, instance, module) (\n"+indent(c.Condition, "  ")+")\n")
		fmt.Fprintf(&b, "        labels:\n          cause: %s\n          runbook: %s\n", c.Label, c.Alert)
	}
	b.WriteString("      # Hosts per cause per cluster: what the Fleet row's counters show.\n")
	fmt.Fprintf(&b, "      - record: %s\n", HostsRecord)
	writeExpr(&b, "        ", "count by (cluster, cause) (\n  group by (cluster, instance, cause) ("+UnhealthyRecord+")\n)\n")
	return []byte(b.String())
}

// indent prefixes each line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return prefix + strings.Join(lines, prefix) + "\n"
}
