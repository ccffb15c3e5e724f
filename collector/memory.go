package collector

import (
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func init() {
	registerCollector("memory", true, func(o Options, l log.Logger) Collector { return &memoryCollector{proc: o.ProcPath, logger: l} })
}

var (
	memoryPressureSupported = newDesc("memory", "pressure_supported",
		"1 if the kernel reports memory pressure stall information (/proc/pressure/memory), 0 if PSI is off.")
	memoryPressureRatio = newDesc("memory", "pressure_ratio",
		"Share of time (0..1) in which some or all tasks stalled waiting for memory, averaged over the window.", "kind", "window")
	memoryPressureStalled = typedDesc{prometheus.NewDesc(prometheus.BuildFQName(namespace, "memory", "pressure_stalled_seconds_total"),
		"Total time tasks stalled waiting for memory, in seconds.", []string{"kind"}, nil), prometheus.CounterValue}
	memoryAvailableRatio = newDesc("memory", "available_ratio",
		"MemAvailable / MemTotal from /proc/meminfo: the share of memory the kernel can give out without swapping.")
)

type memoryCollector struct {
	proc   string
	logger log.Logger
}

func (c *memoryCollector) Update(ch chan<- prometheus.Metric) error {
	m, err := kmod.ReadMemory(c.proc)
	ch <- memoryPressureSupported.metric(boolValue(m.PSISupported))
	if m.PSISupported {
		c.pressure(ch, "some", m.Some)
		if m.HasFull {
			c.pressure(ch, "full", m.Full)
		}
	}
	if m.HasAvailable {
		ch <- memoryAvailableRatio.metric(m.AvailableRatio)
	}
	return err
}

func (c *memoryCollector) pressure(ch chan<- prometheus.Metric, kind string, p kmod.Pressure) {
	ch <- memoryPressureRatio.metric(p.Avg10/100, kind, "10s")
	ch <- memoryPressureRatio.metric(p.Avg60/100, kind, "60s")
	ch <- memoryPressureRatio.metric(p.Avg300/100, kind, "300s")
	ch <- memoryPressureStalled.metric(float64(p.TotalMicroseconds)/1e6, kind)
}
