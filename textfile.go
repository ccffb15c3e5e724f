package main

import (
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// writeTextfile gathers one scrape and writes it for node_exporter's
// textfile collector: to a temporary file in the same directory, then
// renamed over the target, so the collector never reads half a file.
func writeTextfile(g prometheus.Gatherer, path string) error {
	families, err := g.Gather()
	if err != nil {
		// A partial gather still has every family that could be read; the
		// failed collectors say so in kmod_scrape_collector_success.
		if len(families) == 0 {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	for _, mf := range families {
		if _, err := expfmt.MetricFamilyToText(tmp, mf); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
