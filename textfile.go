package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

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

// textfileFix says how to make the textfile directory writable, since the
// usual failure is Debian's directory, root:root 0755, and a service user
// that is not root.
func textfileFix(path string, err error) string {
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "the directory " + dir + " does not exist: install node_exporter (Debian: prometheus-node-exporter) or give --output.file the directory of its --collector.textfile.directory"
	case errors.Is(err, fs.ErrPermission):
		return "this user (uid " + strconv.Itoa(os.Getuid()) + ") cannot create files in " + dir + ": run as the directory's owner (Debian ships it root:root 0755, and deploy/systemd/kmod_exporter-textfile.service runs as root without capabilities for that), or make it group-writable for this user (chgrp GROUP " + dir + " && chmod g+w " + dir + ")"
	}
	return "check that " + dir + " is writable and not full"
}
