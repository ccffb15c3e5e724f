package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"

	"go.yaml.in/yaml/v2"

	"github.com/kmod-exporter/kmod_exporter/collector"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// alertRules are the shipped alerts; check prints their summary and fix, so
// a human at a terminal reads what the page would have said.
//
//go:embed alerts/kmod_exporter.rules.yml
var alertRules []byte

type alertText struct {
	summary, runbook string
	fix              *template.Template
}

func loadAlertTexts() (map[string]alertText, error) {
	var doc struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(alertRules, &doc); err != nil {
		return nil, err
	}
	texts := map[string]alertText{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			// Prometheus defines $labels the same way before expanding.
			t, err := template.New(r.Alert).Option("missingkey=zero").Parse("{{$labels := .Labels}}" + r.Annotations["fix"])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Alert, err)
			}
			texts[r.Alert] = alertText{summary: r.Annotations["summary"], runbook: r.Annotations["runbook_url"], fix: t}
		}
	}
	return texts, nil
}

type causeOut struct {
	kmod.Cause
	Summary string `json:"summary"`
	Fix     string `json:"fix"`
	Runbook string `json:"runbook_url"`
}

type moduleOut struct {
	Module       string   `json:"module"`
	RequiredBy   []string `json:"required_by"`
	Loaded       bool     `json:"loaded"`
	Builtin      bool     `json:"builtin"`
	Blacklisted  bool     `json:"blacklisted"`
	Disabled     bool     `json:"disabled"`
	OnDisk       bool     `json:"present_on_disk"`
	ReleaseMatch bool     `json:"release_match"`
	// FileError is why an on-disk file could not be read (truncated,
	// too_large, corrupt, unreadable); release_match says nothing then.
	FileError    string     `json:"file_error,omitempty"`
	Dependencies bool       `json:"dependencies_satisfied"`
	LoadOnBoot   bool       `json:"load_on_boot"`
	Status       string     `json:"status"`
	Causes       []causeOut `json:"causes"`
}

type checkOut struct {
	Release           string      `json:"release"`
	ModuleSupport     bool        `json:"module_support"`
	ModulesDirPresent bool        `json:"modules_dir_present"`
	Healthy           bool        `json:"healthy"`
	HostCauses        []causeOut  `json:"host_causes"`
	Modules           []moduleOut `json:"modules"`
}

// runCheck reads the host once and prints the diagnosis. Exit status: 0
// healthy, 1 a required module is unhealthy (a critical cause), 2 the host
// could not be read.
func runCheck(w io.Writer, host *kmod.Host, reqs collector.Requirements, o options) int {
	texts, err := loadAlertTexts()
	if err != nil {
		fmt.Fprintln(os.Stderr, "check: shipped alerts:", err)
		return 2
	}
	view := host.View()
	defer view.Release()
	s, err := view.Snapshot()
	if s == nil {
		fmt.Fprintln(os.Stderr, "check: cannot read the host:", err)
		return 2
	}
	defer s.Done()
	if err != nil {
		fmt.Fprintln(os.Stderr, "check: part of the host could not be read:", err)
	}
	var facts kmod.HostFacts
	facts.Config, _, _, _ = view.KernelConfig()
	facts.Memory, _ = view.Memory()
	facts.Conntrack, _ = view.Conntrack()
	facts.Iptables, _, _ = view.IptablesVersion()
	required, _, _ := s.Required(reqs, view.IptablesBackend())
	d := s.Diagnose(required, facts)

	render := func(c kmod.Cause) causeOut {
		t := texts[c.Alert]
		labels := map[string]string{"instance": "this host"}
		for k, v := range c.Labels {
			labels[k] = v
		}
		var fix strings.Builder
		if t.fix != nil {
			t.fix.Execute(&fix, struct{ Labels map[string]string }{labels})
		}
		return causeOut{Cause: c, Summary: t.summary, Fix: fix.String(), Runbook: t.runbook}
	}
	out := checkOut{Release: s.Release, ModuleSupport: s.ModuleSupport, ModulesDirPresent: s.ModulesDirPresent, Healthy: d.Healthy(), HostCauses: []causeOut{}}
	for _, c := range d.HostCauses {
		out.HostCauses = append(out.HostCauses, render(c))
	}
	for _, m := range d.Modules {
		st := m.Status
		mo := moduleOut{Module: m.Module, RequiredBy: m.Sources, Loaded: st.Loaded, Builtin: st.Builtin, Blacklisted: st.Blacklisted,
			Disabled: st.Disabled, OnDisk: st.OnDisk, ReleaseMatch: st.ReleaseMatch, Dependencies: st.DepsOK, LoadOnBoot: st.LoadOnBoot,
			Status: moduleState(m, d), Causes: []causeOut{}}
		if st.OnDisk && st.FileErr != nil {
			mo.FileError = kmod.FileErrReason(st.FileErr)
		}
		for _, c := range m.Causes {
			mo.Causes = append(mo.Causes, render(c))
		}
		out.Modules = append(out.Modules, mo)
	}

	if o.checkFormat == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 2
		}
	} else {
		printTable(w, out, useColor(o.checkColor))
	}
	if !out.Healthy {
		return 1
	}
	return 0
}

// moduleState is FAIL for a critical cause (or no module tree at all), WARN
// for a warning, INFO for an info, else OK.
func moduleState(m kmod.ModuleReport, d kmod.Diagnosis) string {
	if !m.Healthy() || !m.Status.Loaded && d.Kernel.ModuleSupport && !d.Kernel.ModulesDirPresent {
		return "FAIL"
	}
	state := "OK"
	for _, c := range m.Causes {
		switch {
		case c.Severity == "warning":
			state = "WARN"
		case c.Severity == "info" && state == "OK":
			state = "INFO"
		}
	}
	return state
}

// useColor: colour only on a terminal, unless told otherwise or NO_COLOR.
func useColor(mode string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func printTable(w io.Writer, out checkOut, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	state := map[string]string{"OK": "32", "INFO": "36", "WARN": "33", "FAIL": "31"}
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	support := "yes"
	if !out.ModuleSupport {
		support = "no (only built-in modules can be present)"
	}
	dir := "present"
	if !out.ModulesDirPresent {
		dir = "MISSING"
	}
	fmt.Fprintf(w, "kernel %s, module support: %s, /lib/modules/%s: %s\n\n", out.Release, support, out.Release, dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tLOADED\tBUILT IN\tBLACKLISTED\tDISABLED\tON DISK\tRELEASE\tDEPS\tON BOOT\tSTATUS")
	for _, m := range out.Modules {
		release := map[bool]string{true: "ok", false: "mismatch"}[m.ReleaseMatch]
		if m.FileError != "" {
			release = m.FileError // the file, not its release, is what is wrong
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Module, yesNo(m.Loaded), yesNo(m.Builtin), yesNo(m.Blacklisted),
			yesNo(m.Disabled), yesNo(m.OnDisk), release,
			map[bool]string{true: "ok", false: "missing"}[m.Dependencies], yesNo(m.LoadOnBoot), paint(state[m.Status], m.Status))
	}
	tw.Flush()
	printCause := func(subject string, c causeOut) {
		sev := map[string]string{"critical": "31", "warning": "33", "info": "36"}[c.Severity]
		fmt.Fprintf(w, "\n%s: %s (%s)\n  %s\n  Fix: %s\n  Runbook: %s\n", subject, paint(sev, c.Alert), c.Severity, c.Summary, c.Fix, c.Runbook)
	}
	for _, c := range out.HostCauses {
		printCause("host", c)
	}
	for _, m := range out.Modules {
		for _, c := range m.Causes {
			printCause(m.Module, c)
		}
	}
	if out.Healthy {
		fmt.Fprintln(w, "\nhealthy: every required module is loaded or can be.")
	} else {
		fmt.Fprintln(w, "\nUNHEALTHY: see the causes above.")
	}
}
