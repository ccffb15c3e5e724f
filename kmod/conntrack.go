package kmod

import (
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"github.com/prometheus/procfs"
	"path"
	"strconv"
	"strings"
)

// Conntrack is the connection tracking table's fill and its per-CPU
// statistics summed over CPUs.
type Conntrack struct {
	Available      bool // nf_conntrack is loaded (its sysctls exist)
	Entries, Limit uint64
	HasStats       bool
	Stats          procfs.ConntrackStatEntry
}

// readConntrack reads /proc/sys/net/netfilter/nf_conntrack_{count,max} and
// /proc/net/stat/nf_conntrack.
func readConntrack(proc hostfs.Dir) (Conntrack, error) {
	var c Conntrack
	read := func(name string) (uint64, error) {
		data, _, err := proc.ReadFile(path.Join("sys/net/netfilter", name), 4096)
		if err != nil {
			return 0, err
		}
		return strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	}
	var err error
	if c.Entries, err = read("nf_conntrack_count"); err != nil {
		if NotApplicable(err) {
			return Conntrack{}, nil
		}
		return c, err
	}
	if c.Limit, err = read("nf_conntrack_max"); err != nil {
		return c, err
	}
	c.Available = true
	fs, err := proc.Procfs()
	if err != nil {
		return c, err
	}
	stats, err := fs.ConntrackStat()
	if err != nil {
		if NotApplicable(err) {
			return c, nil
		}
		return c, err
	}
	c.HasStats = true
	for _, s := range stats {
		c.Stats.Found += s.Found
		c.Stats.Invalid += s.Invalid
		c.Stats.Ignore += s.Ignore
		c.Stats.Insert += s.Insert
		c.Stats.InsertFailed += s.InsertFailed
		c.Stats.Drop += s.Drop
		c.Stats.EarlyDrop += s.EarlyDrop
		c.Stats.SearchRestart += s.SearchRestart
	}
	return c, nil
}
