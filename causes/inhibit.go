package causes

import (
	"fmt"
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
}

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
