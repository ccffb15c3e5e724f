package kmod

import (
	"bytes"
	"fmt"
	"strconv"

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

// readMemory reads /proc/pressure/memory and /proc/meminfo. They are
// parsed here rather than by procfs, whose readers open each file through
// os.Open (four fcntl calls and an epoll registration more) and scan it
// with a new 4 KB buffer: a dozen system calls and 8 KB a scrape, for two
// short files.
func readMemory(proc hostfs.Dir) (Memory, error) {
	var m Memory
	data, _, err := proc.ReadFile("pressure/memory", 64<<10)
	switch {
	case err == nil:
		m.PSISupported = true
		if m.Some, m.Full, m.HasFull, err = parsePSI(data); err != nil {
			return m, fmt.Errorf("%s: %w", proc.Path("pressure/memory"), err)
		}
	case NotApplicable(err) || isPSIDisabled(err):
	default:
		return m, err
	}
	data, _, err = proc.ReadFile("meminfo", 1<<20)
	if err != nil {
		return m, err
	}
	total, available, ok, err := parseMemAvailable(data)
	if err != nil {
		return m, fmt.Errorf("%s: %w", proc.Path("meminfo"), err)
	}
	if ok && total > 0 {
		m.HasAvailable = true
		m.AvailableRatio = float64(available) / float64(total)
	}
	return m, nil
}

// parsePSI parses a pressure file's "some" and "full" lines
// ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0"); other lines are
// passed over, as newer kernels may add some. A missing "some" line reads
// as zeros.
func parsePSI(data []byte) (some, full Pressure, hasFull bool, err error) {
	eachLine(data, func(line []byte, num int) {
		kind, rest, _ := bytes.Cut(line, []byte(" "))
		var p *Pressure
		switch string(kind) {
		case "some":
			p = &some
		case "full":
			p, hasFull = &full, true
		default:
			return
		}
		var seen int
		for field := range bytes.FieldsSeq(rest) {
			key, value, ok := bytes.Cut(field, []byte("="))
			var perr error
			switch string(key) {
			case "avg10":
				p.Avg10, perr = strconv.ParseFloat(string(value), 64)
			case "avg60":
				p.Avg60, perr = strconv.ParseFloat(string(value), 64)
			case "avg300":
				p.Avg300, perr = strconv.ParseFloat(string(value), 64)
			case "total":
				p.TotalMicroseconds, perr = strconv.ParseUint(string(value), 10, 64)
			default:
				continue
			}
			if !ok || perr != nil {
				perr = fmt.Errorf("%q is not a number", field)
			}
			if perr != nil && err == nil {
				err = fmt.Errorf("line %d: %w", num, perr)
			}
			seen++
		}
		if seen < 4 && err == nil {
			err = fmt.Errorf("line %d: %d of avg10, avg60, avg300 and total", num, seen)
		}
	})
	return some, full, hasFull, err
}

// parseMemAvailable reads MemTotal and MemAvailable (in kB) from meminfo;
// ok is false when either is missing (kernels before 3.14 have no
// MemAvailable).
func parseMemAvailable(data []byte) (total, available uint64, ok bool, err error) {
	var haveTotal, haveAvailable bool
	eachLine(data, func(line []byte, num int) {
		key, rest, found := bytes.Cut(line, []byte(":"))
		var dst *uint64
		switch string(key) {
		case "MemTotal":
			dst, haveTotal = &total, true
		case "MemAvailable":
			dst, haveAvailable = &available, true
		default:
			return
		}
		value, _, _ := bytes.Cut(bytes.TrimSpace(rest), []byte(" "))
		n, perr := strconv.ParseUint(string(value), 10, 64)
		if (!found || perr != nil) && err == nil {
			err = fmt.Errorf("line %d: %s: %q is not a number", num, key, value)
		}
		*dst = n
	})
	return total, available, haveTotal && haveAvailable && err == nil, err
}

// isPSIDisabled: with psi=0 the files exist but reading them fails with
// EOPNOTSUPP.
func isPSIDisabled(err error) bool {
	return errorsIsErrno(err, 95) // EOPNOTSUPP
}
