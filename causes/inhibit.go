package causes

import (
	"fmt"
	"slices"
	"strings"
)

// Inhibition is one Alertmanager inhibit rule: while a source alert fires,
// the target alerts with the same Equal labels say nothing new, because the
// source explains them.
type Inhibition struct {
	Why     []string // comment lines above the rule
	Sources []string
	Targets []string
	Equal   []string
}

// explainsNotLoaded are the causes that say why a module is not loaded.
var explainsNotLoaded = []string{
	ModuleBlacklisted, ModuleDisabled, ModuleFileMissing, ModuleFileUnreadable, ModuleReleaseMismatch,
	ModuleDependencyMissing, ModuleNotLoadedMemoryPressure, KernelBuiltWithoutModule, KernelWithoutModuleSupport,
	RequirementUnknown,
}

// unregistered are the symptoms a module that is not loaded shows in
// x_tables.
var unregistered = []string{XtablesMatchNotRegistered, XtablesTargetNotRegistered}

// followNoTree are the per-module alerts that a missing module tree for the
// running kernel explains. A kernel without module support has no tree by
// design, so its cause stays.
var followNoTree = []string{
	ModuleNotLoaded, ModuleBlacklisted, ModuleDisabled, ModuleFileMissing, ModuleReleaseMismatch, ModuleFileUnreadable,
	ModuleDependencyMissing, ModuleNotLoadedMemoryPressure, ModuleNotPersistent, XtablesMatchNotRegistered,
	XtablesTargetNotRegistered, KernelBuiltWithoutModule, DepmodIndexStale, NextBootModuleMissing,
	RequirementUnknown,
}

// followDependency are the symptoms of a module that is not loaded which a
// cause of a module it depends on explains: xt_conntrack is not loaded, or
// lacks a dependency, because nf_conntrack is blacklisted, disabled or gone.
// The module's own blocks and file faults are causes of their own, each
// with its own fix, so they are not among them.
var followDependency = []string{
	ModuleNotLoaded, ModuleDependencyMissing, ModuleNotLoadedMemoryPressure, XtablesMatchNotRegistered, XtablesTargetNotRegistered,
}

// explainsDependents are the causes of a module that explain its dependents'
// symptoms (followDependency): each says why the module cannot load, and a
// module that cannot load cannot be loaded as a dependency either.
var explainsDependents = slices.DeleteFunc(slices.Clone(explainsNotLoaded), func(s string) bool { return s == RequirementUnknown })

// Inhibitions are the inhibit rules that make one root cause one page.
func Inhibitions() []Inhibition {
	return []Inhibition{
		{
			Why: []string{
				`A specific cause replaces the generic symptoms of the same module:`,
				`"not loaded" and "match/target not registered".`,
			},
			Sources: explainsNotLoaded,
			Targets: append([]string{ModuleNotLoaded}, unregistered...),
			Equal:   []string{"instance", "module"},
		},
		{
			Why:     []string{`A module that is not loaded explains its match or target not being registered.`},
			Sources: []string{ModuleNotLoaded},
			Targets: unregistered,
			Equal:   []string{"instance", "module"},
		},
		{
			Why: []string{
				`An exporter that cannot see the host fails its collectors because of`,
				`its own paths: that, not a collector, is what to fix.`,
			},
			Sources: []string{ExporterCannotSeeHost},
			Targets: []string{ExporterCollectorFailed, ModulesCollectorFailed},
			Equal:   []string{"instance"},
		},
		{
			Why: []string{
				`Without a module tree for the running kernel, every module-level alert`,
				`of the host follows from it (and alias names cannot even be resolved,`,
				`so the next-boot check is unreliable until it is fixed).`,
			},
			Sources: []string{NoModulesForRunningKernel},
			Targets: followNoTree,
			Equal:   []string{"instance"},
		},
	}
}

// InhibitRulesYAML is the inhibit_rules section of
// examples/alertmanager.yml.
func InhibitRulesYAML() []byte {
	var b strings.Builder
	b.WriteString("# Generated from causes/ by `go test ./alerts -run TestGenerated -update`;\n# do not edit below.\ninhibit_rules:\n")
	for i, r := range Inhibitions() {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, l := range r.Why {
			fmt.Fprintf(&b, "  # %s\n", l)
		}
		fmt.Fprintf(&b, "  - source_matchers:\n      - %s\n", alertnameMatcher(r.Sources))
		fmt.Fprintf(&b, "    target_matchers:\n      - %s\n", alertnameMatcher(r.Targets))
		fmt.Fprintf(&b, "    equal: [%s]\n", strings.Join(r.Equal, ", "))
	}
	return []byte(b.String())
}

func alertnameMatcher(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("alertname=%q", names[0])
	}
	return fmt.Sprintf("alertname=~%q", strings.Join(names, "|"))
}

// explainedBy are the inhibitions that name target among their targets.
func explainedBy(target string) []Inhibition {
	var out []Inhibition
	for _, r := range Inhibitions() {
		if slices.Contains(r.Targets, target) {
			out = append(out, r)
		}
	}
	return out
}

// RuleExpr is the expression of d's alerting rule: d.Expr, quiet where a
// cause that explains d (an inhibition with d among its targets) has its
// alert pending or firing for the same Equal labels, so that one root cause
// is one alert even without Alertmanager's inhibit rules. It reads the
// source's alert from ALERTS rather than restating its condition: each
// condition, and the thresholds the mixin overrides in it, stays in one
// rule, and a pending source already counts, so the target never starts
// its own "for:" while the explanation holds.
func (d Definition) RuleExpr() string {
	expr := d.excludingExplained()
	if d.KeepFiringFor == "" {
		return expr
	}
	if topLevelOr(expr) || strings.Contains(expr, "\nunless ") {
		expr = "(\n" + indent(expr, "  ") + ")\n"
	}
	// While some collector fails (or none answers), what fired stays, up
	// to KeepFiringFor after the modules collector last succeeded.
	// ignoring: what still holds and what is kept are one alert.
	return expr + fmt.Sprintf(`or ignoring (alertname, severity) (
  label_replace(ALERTS{alertname=%q, alertstate="firing"}, "alertstate", "", "", "")
  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1
  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector="modules"}[%s])) == 1
)
`, d.Name, d.KeepFiringFor)
}

// excludingExplained is the condition without the alerts a more specific
// cause explains (see Inhibitions).
func (d Definition) excludingExplained() string {
	rels := explainedBy(d.Name)
	cond := d.condition()
	if len(rels) == 0 && !slices.Contains(followDependency, d.Name) {
		return cond
	}
	expr := strings.TrimSuffix(cond, "\n") + "\n"
	if topLevelOr(expr) {
		// "unless" binds tighter than "or".
		expr = "(\n" + indent(expr, "  ") + ")\n"
	}
	var b strings.Builder
	b.WriteString(expr)
	for _, r := range rels {
		fmt.Fprintf(&b, "unless on (%s) ALERTS{%s}\n", strings.Join(matchOn(r), ", "), alertnameMatcher(r.Sources))
	}
	if slices.Contains(followDependency, d.Name) {
		b.WriteString(dependencyClause)
	}
	return b.String()
}

// dependencyClause quiets a module's symptom while a module it depends on
// (a dependency_usable series, present while the module is not loaded) has
// an alert that explains it. Alertmanager cannot say this: its inhibit
// rules match equal labels, and here the source's module is the target's
// dependency.
var dependencyClause = fmt.Sprintf(`unless on (job, instance, module) (
  kmod_module_dependency_usable
  and on (job, instance, dependency)
    label_replace(ALERTS{%s}, "dependency", "$1", "module", "(.*)")
)
`, alertnameMatcher(explainsDependents))

// condition is d.Expr, for a ByPurpose alert with the required_for label
// of its module joined on.
func (d Definition) condition() string {
	if !d.ByPurpose() {
		return d.Expr
	}
	return "(\n" + indent(strings.TrimSuffix(d.Expr, "\n")+"\n", "  ") + ")\n* on (job, instance, module) group_left (required_for, tree) (\n" + indent(purposeExpr, "  ") + ")\n"
}

// purposeExpr is requiredForExpr with the module's tree label where a tree
// places it (kmod_module_tree_info), so the fix can tell DKMS from the
// kernel package.
var purposeExpr = "(\n" + indent(requiredForExpr, "  ") + `)
* on (job, instance, module) group_left (tree) (
  kmod_module_tree_info
  or on (job, instance, module) max by (job, instance, module) (kmod_module_required)
)
`

// bootSources are the requirement sources that are boot lists.
const bootSources = `modules-load.d|cmdline`

// requiredForExpr is one series per required module, required_for
// "firewall" when a source other than a boot list requires it or when a
// module so required that is not loaded depends on it (its fault is the
// firewall's), else "boot".
var requiredForExpr = `label_replace(
  max by (job, instance, module) (kmod_module_required{source!~"` + bootSources + `"})
  or on (job, instance, module)
  max by (job, instance, module) (label_replace(
    max by (job, instance, dependency) (
      kmod_module_dependency_usable
      and on (job, instance, module) kmod_module_required{source!~"` + bootSources + `"}
    ),
    "module", "$1", "dependency", "(.*)"
  )),
  "required_for", "` + ForFirewall + `", "", ""
)
or on (job, instance, module)
label_replace(max by (job, instance, module) (kmod_module_required), "required_for", "` + ForBoot + `", "", "")
`

// matchOn are the labels an exclusion matches the source's alerts on: the
// inhibition's Equal labels and job, since a scrape target is a job and an
// instance, as in every join of the rules (two jobs scraping one address
// are two hosts' series).
func matchOn(r Inhibition) []string {
	if slices.Contains(r.Equal, "job") {
		return r.Equal
	}
	return append([]string{"job"}, r.Equal...)
}

// topLevelOr tells whether expr has an "or" outside parentheses, braces
// and strings.
func topLevelOr(expr string) bool {
	depth, quote := 0, byte(0)
	var word []byte
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '{' || c == '[':
			depth++
		case c == ')' || c == '}' || c == ']':
			depth--
		case depth == 0 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':'):
			word = append(word, c)
			continue
		}
		if string(word) == "or" {
			return true
		}
		word = word[:0]
	}
	return false
}
