// Package collector turns the host model of package kmod into Prometheus
// metrics, one file per collector, in node_exporter's pattern: each
// collector can be switched with --[no-]collector.NAME, builds constant
// metrics from fresh reads at scrape time, and reports its own success and
// duration so one failing collector never fails the scrape.
//
// registry.go holds the list of collectors and KmodCollector, which runs
// them; scheduler.go runs one scrape's collectors under its deadline,
// sharing what scrape.go holds between them; family.go turns what they
// found into metric families.
package collector

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

const namespace = "kmod"

// Options are what every collector is built from.
type Options struct {
	Host *kmod.Host
	// Requirements returns the configured requirements; it is called at
	// every scrape so a reloaded configuration takes effect at once.
	Requirements func() Requirements
}

// Requirements are the modules the user's configuration requires.
type Requirements = kmod.RequirementSpec

// Requirement is one required name and why it is required.
type Requirement = kmod.Requirement

// explicitRuleset reports whether a ruleset path was configured rather than
// one of the standard places, where a missing file is normal.
func explicitRuleset(p string) bool { return !slices.Contains(kmod.DefaultRulesets, p) }

// Collector reads one part of the host, through the scrape's view of it
// (nil when the exporter was built without a host), and adds what it found
// to out.
type Collector interface {
	Update(host *kmod.View, out *Sink) error
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// joinErrs keeps the first few errors so a log line stays readable.
func joinErrs(errs []error) error {
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("and %d more", len(errs)-5))
	}
	return errors.Join(errs...)
}
