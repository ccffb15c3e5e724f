package collector

import (
	"github.com/go-kit/log"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func init() {
	registerCollector("memory", true, func(o Options, l log.Logger) Collector { return &memoryCollector{logger: l} })
}

var (
	memoryPressureSupported = newDesc("memory", "pressure_supported",
		"1 if the kernel reports memory pressure stall information (/proc/pressure/memory), 0 if PSI is off.")
	memoryPressureRatio = newDesc("memory", "pressure_ratio",
		"Share of time (0..1) in which some or all tasks stalled waiting for memory, averaged over the window.", "kind", "window")
	memoryPressureStalled = newCounterDesc("memory", "pressure_stalled_seconds_total",
		"Total time tasks stalled waiting for memory, in seconds.", "kind")
	memoryAvailableRatio = newDesc("memory", "available_ratio",
		"MemAvailable / MemTotal from /proc/meminfo: the share of memory the kernel can give out without swapping.")
)

type memoryCollector struct {
	logger log.Logger
}

func (*memoryCollector) filesystems() []string { return []string{kmod.Procfs} }

func (c *memoryCollector) Update(host *kmod.View, out *Sink) error {
	m, err := host.Memory()
	out.Add(memoryPressureSupported, boolValue(m.PSISupported))
	if m.PSISupported {
		c.pressure(out, "some", m.Some)
		if m.HasFull {
			c.pressure(out, "full", m.Full)
		}
	}
	if m.HasAvailable {
		out.Add(memoryAvailableRatio, m.AvailableRatio)
	}
	return err
}

func (c *memoryCollector) pressure(out *Sink, kind string, p kmod.Pressure) {
	out.Add(memoryPressureRatio, p.Avg10/100, kind, "10s")
	out.Add(memoryPressureRatio, p.Avg60/100, kind, "60s")
	out.Add(memoryPressureRatio, p.Avg300/100, kind, "300s")
	out.Add(memoryPressureStalled, float64(p.TotalMicroseconds)/1e6, kind)
}
