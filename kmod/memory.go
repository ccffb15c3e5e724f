package kmod

import (
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
)

// Pressure is one line of /proc/pressure/memory.
type Pressure struct {
	Avg10, Avg60, Avg300 float64 // percent of wall time
	TotalMicroseconds    uint64
}

// Memory is the memory state that decides whether the kernel can allocate
// what loading a module needs.
type Memory struct {
	// PSISupported is false when the kernel has no pressure stall
	// information (CONFIG_PSI off, or psi=0 on the command line).
	PSISupported bool
	Some, Full   Pressure
	HasFull      bool
	// AvailableRatio is MemAvailable / MemTotal; HasAvailable is false on
	// kernels too old to report MemAvailable.
	AvailableRatio float64
	HasAvailable   bool
}

// readMemory reads PSI and meminfo through procfs.
func readMemory(proc hostfs.Dir) (Memory, error) {
	var m Memory
	fs, err := proc.Procfs()
	if err != nil {
		return m, err
	}
	psi, err := fs.PSIStatsForResource("memory")
	switch {
	case err == nil:
		m.PSISupported = true
		if psi.Some != nil {
			m.Some = Pressure{psi.Some.Avg10, psi.Some.Avg60, psi.Some.Avg300, psi.Some.Total}
		}
		if psi.Full != nil {
			m.HasFull = true
			m.Full = Pressure{psi.Full.Avg10, psi.Full.Avg60, psi.Full.Avg300, psi.Full.Total}
		}
	case NotApplicable(err) || isPSIDisabled(err):
	default:
		return m, err
	}
	mi, err := fs.Meminfo()
	if err != nil {
		return m, err
	}
	if mi.MemTotal != nil && mi.MemAvailable != nil && *mi.MemTotal > 0 {
		m.HasAvailable = true
		m.AvailableRatio = float64(*mi.MemAvailable) / float64(*mi.MemTotal)
	}
	return m, nil
}

// isPSIDisabled: with psi=0 the files exist but reading them fails with
// EOPNOTSUPP.
func isPSIDisabled(err error) bool {
	return errorsIsErrno(err, 95) // EOPNOTSUPP
}
