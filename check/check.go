// Package check is the exporter's check command: it reads the host once,
// diagnoses the required modules as the alerts would, and prints each
// cause with what its alert says (summary, fix, runbook) as a table or
// JSON.
package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/kmod-exporter/kmod_exporter/causes"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// Options are how check prints.
type Options struct {
	Format string // "json", else a table
	Color  string // "always", "never", else on a terminal without NO_COLOR
}

// CauseReport is a cause found and what its alert says of it.
type CauseReport struct {
	causes.Cause
	Summary string `json:"summary"`
	Fix     string `json:"fix"`
	Runbook string `json:"runbook_url"`
}

// ModuleReport is a required module: its checks, state and causes.
type ModuleReport struct {
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
	FileError    string        `json:"file_error,omitempty"`
	Dependencies bool          `json:"dependencies_satisfied"`
	LoadOnBoot   bool          `json:"load_on_boot"`
	Status       string        `json:"status"`
	Causes       []CauseReport `json:"causes"`
	// FollowsFrom are the modules it depends on whose causes (listed with
	// them) stop it loading; its own symptoms are not repeated.
	FollowsFrom []string `json:"follows_from,omitempty"`
}

// Report is what check prints, as JSON or as a table.
type Report struct {
	Release           string         `json:"release"`
	ModuleSupport     bool           `json:"module_support"`
	ModulesDirPresent bool           `json:"modules_dir_present"`
	Healthy           bool           `json:"healthy"`
	HostCauses        []CauseReport  `json:"host_causes"`
	Modules           []ModuleReport `json:"modules"`
	// Unreadable are requirement files (rulesets) that exist but could not
	// be read: the modules they need are unknown, so the host is not
	// called healthy and check exits 2.
	Unreadable []UnreadableFile `json:"unreadable,omitempty"`
	// Blind: the exporter's paths show no host (see kmod.View.Blind);
	// HostCauses says which and nothing else is judged.
	Blind bool `json:"cannot_see_host,omitempty"`
}

// UnreadableFile is a requirement file check could not read, and why.
type UnreadableFile struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// Run reads the host through view once and prints the diagnosis of the
// modules reqs requires to w. Exit status: 0 healthy, 1 a required module
// is unhealthy (a critical cause), 2 the host could not be read. Warnings
// and info (a loaded module whose next load would fail, the next boot's
// kernel lacking a module) are reported but leave the status 0: the
// firewall works now, and a script must not treat a latent fault as an
// outage.
func Run(w io.Writer, view *kmod.View, reqs kmod.RequirementSpec, opts Options) int {
	if blind := view.Blind(); len(blind) > 0 {
		return cannotSee(w, blind, opts)
	}
	s, err := view.Snapshot()
	if s == nil {
		fmt.Fprintln(os.Stderr, "check: cannot read the host:", err)
		return 2
	}
	defer s.Done()
	if err != nil {
		fmt.Fprintln(os.Stderr, "check: part of the host could not be read:", err)
	}
	var facts causes.HostFacts
	facts.Config, _, _, _ = view.KernelConfig()
	facts.Memory, _ = view.Memory()
	facts.Conntrack, _ = view.Conntrack()
	facts.Iptables, _, _ = view.IptablesVersion()
	set := s.Requirements(reqs, view.IptablesBackend())
	rulesets := set.Rulesets
	out, err := report(s, causes.Diagnose(s, set, facts))
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		return 2
	}
	out.Unreadable = unreadable(s.SourceFiles(reqs), rulesets)
	for _, u := range out.Unreadable {
		fmt.Fprintf(os.Stderr, "check: cannot read %s: %s\n", u.Path, u.Error)
	}
	if !write(w, out, opts) {
		return 2
	}
	switch {
	case len(out.Unreadable) > 0:
		return 2
	case !out.Healthy:
		return 1
	}
	return 0
}

// write prints the report in the format asked for; false if it could not.
func write(w io.Writer, out Report, opts Options) bool {
	if opts.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out) == nil
	}
	printTable(w, out, useColor(opts.Color))
	return true
}

// cannotSee reports paths that show no host: the exporter's configuration,
// never the host, is at fault, so nothing else is judged and check exits 2.
func cannotSee(w io.Writer, blind []kmod.Blindness, opts Options) int {
	out := Report{Modules: []ModuleReport{}, HostCauses: []CauseReport{}}
	for _, c := range causes.CannotSee(blind).HostCauses {
		t, err := causes.Render(c, "this host")
		if err != nil {
			fmt.Fprintln(os.Stderr, "check:", err)
		}
		out.HostCauses = append(out.HostCauses, CauseReport{Cause: c, Summary: t.Summary, Fix: t.Fix, Runbook: t.Runbook})
	}
	out.Blind = true
	for _, b := range blind {
		fmt.Fprintf(os.Stderr, "check: cannot see the host: --path.%s=%s %s\n", b.Filesystem, b.Path, b.Reason)
	}
	write(w, out, opts)
	return 2
}

// unreadable lists the requirement files that exist but could not be read
// (opened, or for a ruleset parsed within its bounds), saying which
// permission is missing when that is why.
func unreadable(files []kmod.SourceFile, rulesets []kmod.RulesetRead) []UnreadableFile {
	var out []UnreadableFile
	add := func(path string, err error) {
		if slices.ContainsFunc(out, func(u UnreadableFile) bool { return u.Path == path }) {
			return
		}
		why := err.Error()
		if errors.Is(err, fs.ErrPermission) {
			why = fmt.Sprintf("permission denied: uid %d has no read permission on it (netfilter-persistent writes rulesets mode 0640 root:root); run check as root, or give this user read access", os.Getuid())
		}
		out = append(out, UnreadableFile{Path: path, Error: why})
	}
	for _, f := range files {
		if f.Err != nil {
			add(f.Path, f.Err)
		}
	}
	for _, r := range rulesets {
		if r.Err != nil {
			add(r.Path, r.Err)
		}
	}
	return out
}

// report is the diagnosis with each cause's texts, as printed.
func report(s *kmod.Snapshot, d causes.Diagnosis) (Report, error) {
	var errs []error
	render := func(cs []causes.Cause) []CauseReport {
		out := []CauseReport{}
		for _, c := range cs {
			t, err := causes.Render(c, "this host")
			errs = append(errs, err)
			out = append(out, CauseReport{Cause: c, Summary: t.Summary, Fix: t.Fix, Runbook: t.Runbook})
		}
		return out
	}
	out := Report{Release: s.Release, ModuleSupport: s.ModuleSupport, ModulesDirPresent: s.ModulesDirPresent, Healthy: d.Healthy(), HostCauses: render(d.HostCauses)}
	for _, m := range d.Modules {
		st := m.Status
		mo := ModuleReport{Module: m.Module, RequiredBy: m.Sources, Loaded: st.Loaded, Builtin: st.Builtin, Blacklisted: st.Blacklisted,
			Disabled: st.Disabled, OnDisk: st.OnDisk, ReleaseMatch: st.ReleaseMatch, Dependencies: st.DepsOK, LoadOnBoot: st.LoadOnBoot,
			Status: moduleState(m, d), Causes: render(m.Causes), FollowsFrom: m.FollowsFrom}
		if st.OnDisk && st.FileErr != nil {
			mo.FileError = kmod.FileErrReason(st.FileErr)
		}
		out.Modules = append(out.Modules, mo)
	}
	return out, errors.Join(errs...)
}

// moduleState is FAIL for a critical cause (or no module tree at all), WARN
// for a warning, INFO for an info, else OK.
func moduleState(m causes.ModuleReport, d causes.Diagnosis) string {
	if !m.Healthy() || !m.Status.Loaded && d.Kernel.ModuleSupport && !d.Kernel.ModulesDirPresent {
		return "FAIL"
	}
	state := "OK"
	for _, c := range m.Causes {
		switch {
		case c.Severity == causes.Warning:
			state = "WARN"
		case c.Severity == causes.Info && state == "OK":
			state = "INFO"
		}
	}
	return state
}
