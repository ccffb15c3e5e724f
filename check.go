package main

import (
	"github.com/kmod-exporter/kmod_exporter/check"
	"github.com/kmod-exporter/kmod_exporter/collector"
	"github.com/kmod-exporter/kmod_exporter/kmod"
	"io"
)

// A shim until main.go calls check.Run; the aliases serve cmd_test.go.
type checkOut = check.Report
type causeOut = check.CauseReport

func runCheck(w io.Writer, host *kmod.Host, reqs collector.Requirements, o options) int {
	view := host.View()
	defer view.Release()
	return check.Run(w, view, reqs, check.Options{Format: o.checkFormat, Color: o.checkColor})
}
