package collector

import (
	"github.com/go-kit/log"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func init() {
	registerCollector("conntrack", true, func(o Options, l log.Logger) Collector { return &conntrackCollector{} })
}

var (
	conntrackEntries = newDesc("conntrack", "entries",
		"Connections in the conntrack table (nf_conntrack_count). Absent while nf_conntrack is not loaded.")
	conntrackLimit = newDesc("conntrack", "entries_limit",
		"Size of the conntrack table (nf_conntrack_max): when it is full, new connections are dropped.")
	conntrackStats = []struct {
		desc *Desc
		get  func(kmod.Conntrack) uint64
	}{
		{counter("found", "Lookups that found an existing connection."), func(c kmod.Conntrack) uint64 { return c.Stats.Found }},
		{counter("invalid", "Packets conntrack could not track (malformed, or out of window)."), func(c kmod.Conntrack) uint64 { return c.Stats.Invalid }},
		{counter("ignore", "Packets already tracked or not to be tracked."), func(c kmod.Conntrack) uint64 { return c.Stats.Ignore }},
		{counter("insert", "Connections inserted into the table."), func(c kmod.Conntrack) uint64 { return c.Stats.Insert }},
		{counter("insert_failed", "Connections that could not be inserted (a clash)."), func(c kmod.Conntrack) uint64 { return c.Stats.InsertFailed }},
		{counter("drop", "Packets dropped because the table was full or a new entry could not be made."), func(c kmod.Conntrack) uint64 { return c.Stats.Drop }},
		{counter("early_drop", "Connections evicted early to make room in a full table."), func(c kmod.Conntrack) uint64 { return c.Stats.EarlyDrop }},
		{counter("search_restart", "Table lookups restarted because the table changed under them."), func(c kmod.Conntrack) uint64 { return c.Stats.SearchRestart }},
	}
)

func counter(name, help string) *Desc {
	return newCounterDesc("conntrack", "stat_"+name+"_total", help+" Summed over CPUs, from /proc/net/stat/nf_conntrack.")
}

type conntrackCollector struct{}

func (*conntrackCollector) filesystems() []string { return []string{kmod.Procfs} }

func (c *conntrackCollector) Update(host *kmod.View, out *Sink) error {
	ct, err := host.Conntrack()
	if ct.Available {
		out.Add(conntrackEntries, float64(ct.Entries))
		out.Add(conntrackLimit, float64(ct.Limit))
	}
	if ct.HasStats {
		for _, s := range conntrackStats {
			out.Add(s.desc, float64(s.get(ct)))
		}
	}
	return err
}
