package causes

import (
	"fmt"
	"slices"
	"strings"
)

// rulesHeader opens the generated alert rules file.
const rulesHeader = `# Generated from causes/ by ` + "`go test ./alerts -run TestGenerated -update`" + `; do not edit.
# Alerts for kmod_exporter: one per documented cause of a firewall's kernel
# module not loading. Every alert is about a *required* module (one the
# host's config, rulesets or boot lists ask for), never about the other
# modules of the kernel. Built-in modules count as loaded and never alert.
# runbook_url points at alerts/runbooks/; ` + "`make alerts RUNBOOK_BASE=...`" + `
# rewrites the base for a fork or an internal wiki.
groups:
`

// explainedWhy says above a rule what its "unless ... ALERTS" lines do.
var explainedWhy = []string{
	"unless ALERTS: quiet while an alert that explains it is pending or firing,",
	"so one root cause is one alert even without the inhibit rules.",
}

// RulesYAML is alerts/kmod_exporter.rules.yml: every cause as a Prometheus
// alerting rule, grouped as listed.
func RulesYAML() []byte {
	var b strings.Builder
	b.WriteString(rulesHeader)
	group := ""
	for _, d := range All() {
		if d.Group != group {
			if group != "" {
				b.WriteString("\n")
			}
			group = d.Group
			fmt.Fprintf(&b, "  - name: %s\n    rules:\n", group)
		} else {
			b.WriteString("\n")
		}
		writeRule(&b, d)
	}
	return []byte(b.String())
}

func writeRule(b *strings.Builder, d Definition) {
	fmt.Fprintf(b, "      - alert: %s\n", d.Name)
	why := d.Why
	if len(explainedBy(d.Name)) > 0 {
		why = append(slices.Clip(why), explainedWhy...)
	}
	if slices.Contains(followDependency, d.Name) {
		why = append(slices.Clip(why), "unless on (module) (kmod_module_dependency_usable ...): quiet while a module it",
			"depends on has an alert that says why that module cannot load; that alert is the page.")
	}
	if d.ByPurpose() {
		why = append(slices.Clip(why), "* group_left (required_for): \"firewall\" for a module a ruleset, firewall manager or the",
			"configuration requires, or that one of those depends on; \"boot\" for a module only a boot list asks for,",
			"which pages as a warning about boot modules. tree (kmod_module_tree_info): out_of_tree or in_tree where a",
			"release's tree places the module, so the fix names DKMS or the kernel package.")
	}
	if d.KeepFiringFor != "" {
		why = append(slices.Clip(why), "or ALERTS...: once firing, it stays while a collector fails or the exporter is",
			"not scraped (up to "+d.KeepFiringFor+" after the modules collector last succeeded), so an exporter",
			"failure never resolves a page; a fix the exporter sees resolves it at once.")
	}
	for _, l := range why {
		fmt.Fprintf(b, "        # %s\n", l)
	}
	writeExpr(b, "        ", d.RuleExpr())
	fmt.Fprintf(b, "        for: %s\n", d.For)
	fmt.Fprintf(b, "        labels:\n          severity: %s\n", yamlScalar(d.SeverityLabel()))
	fmt.Fprintf(b, "        annotations:\n          summary: %s\n", yamlScalar(d.SummaryText()))
	writeFolded(b, "description", d.Description)
	writeFolded(b, "fix", d.Fix)
	fmt.Fprintf(b, "          runbook_url: %s\n", d.RunbookURL())
}

// writeExpr writes a one-line expression plain and a longer one as a
// literal block, indented under indent.
func writeExpr(b *strings.Builder, indent, expr string) {
	if !strings.Contains(expr, "\n") {
		fmt.Fprintf(b, "%sexpr: %s\n", indent, expr)
		return
	}
	fmt.Fprintf(b, "%sexpr: |\n", indent)
	for _, l := range strings.SplitAfter(strings.TrimSuffix(expr, "\n"), "\n") {
		b.WriteString(indent + "  " + l)
	}
	b.WriteString("\n")
}

// writeFolded writes an annotation as a folded block: YAML joins its lines
// with spaces, as DescriptionText and FixText do.
func writeFolded(b *strings.Builder, key string, lines []string) {
	fmt.Fprintf(b, "          %s: >-\n", key)
	for _, l := range lines {
		fmt.Fprintf(b, "            %s\n", l)
	}
}

// yamlScalar writes a template (which opens with "{", a flow mapping to
// YAML) single-quoted, and plain text as it is.
func yamlScalar(v string) string {
	if !strings.HasPrefix(v, "{") {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}
