// Package kmod reads a Linux host's module state from files (procfs, sysfs,
// /lib/modules, modprobe.d, modules-load.d) and reproduces the kernel's and
// kmod's rules for deciding whether a module is loaded, can be loaded, or is
// stopped from loading. It has no Prometheus types: collectors turn its
// answers into metrics.
//
// A View is the only way in: one scrape's reading of the host, through the
// file layer of internal/hostfs. Each file is named for the file it parses
// or the question it answers; the places that make modules required are
// RequirementSource plug-ins, one file each (source_*.go), registered in
// requirementSources (source.go).
package kmod
