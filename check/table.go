package check

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

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

func printTable(w io.Writer, out Report, color bool) {
	if out.Blind {
		printBlind(w, out, color)
		return
	}
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
	printCause := func(subject string, c CauseReport) {
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
		if len(m.FollowsFrom) > 0 {
			fmt.Fprintf(w, "\n%s: %s\n  It depends on %s, which cannot load (its cause is listed above): fix that first; loading %s then loads it too.\n",
				m.Module, paint("31", "NOT LOADED"), strings.Join(m.FollowsFrom, ", "), m.Module)
		}
	}
	for _, u := range out.Unreadable {
		fmt.Fprintf(w, "\n%s: %s\n  %s\n", u.Path, paint("31", "UNREADABLE"), u.Error)
	}
	switch {
	case len(out.Unreadable) > 0:
		fmt.Fprintln(w, "\nINCOMPLETE: a file that says which modules are required could not be read; see above.")
	case out.Healthy && warnings(out) > 0:
		fmt.Fprintf(w, "\nno critical cause, %d warning(s) above: they do not change the exit status.\n", warnings(out))
	case out.Healthy && len(out.Modules) == 0:
		// Not "healthy": nothing here was judged.
		fmt.Fprintln(w, "\nno module is required here: no ruleset, firewall manager, boot list or configured module was found.")
	case out.Healthy:
		fmt.Fprintln(w, "\nhealthy: every required module is loaded or can be.")
	default:
		fmt.Fprintln(w, "\nUNHEALTHY: see the causes above.")
	}
}

// warnings counts the causes of warning severity.
func warnings(out Report) int {
	n := 0
	for _, c := range out.HostCauses {
		if c.Severity == "warning" {
			n++
		}
	}
	for _, m := range out.Modules {
		for _, c := range m.Causes {
			if c.Severity == "warning" {
				n++
			}
		}
	}
	return n
}

// printBlind says that the paths show no host, and how to fix them.
func printBlind(w io.Writer, out Report, color bool) {
	for _, c := range out.HostCauses {
		fmt.Fprintf(w, "%s: --path.%s=%s %s\n  Fix: %s\n  Runbook: %s\n\n", c.Alert, c.Labels["filesystem"], c.Labels["path"], c.Labels["reason"], c.Fix, c.Runbook)
	}
	msg := "CANNOT SEE THE HOST: the exporter's paths show no host, so nothing about it was judged; fix the paths above."
	if color {
		msg = "\x1b[31m" + msg + "\x1b[0m"
	}
	fmt.Fprintln(w, msg)
}
