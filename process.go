package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// processCollector reports the process_* metrics of client_golang's
// process collector, with the same names, help, types and values, for a
// tenth of the cost: the start time (which needs all of /proc/stat) is read
// once, the limits come from getrlimit instead of parsing
// /proc/self/limits, and only the IpExt lines of /proc/self/net/netstat
// are parsed. client_golang's took about 300 µs a scrape, as much as
// reading the host (docs/benchmarks.md).
type processCollector struct {
	cpu, openFDs, maxFDs, vsize, maxVsize, rss, start, in, out *prometheus.Desc

	startOnce sync.Once
	startTime float64
	startErr  error

	stat, netstat procFile
}

// procFile is a /proc file kept open and read again from offset 0, which
// makes the kernel write it anew: opening /proc/self/net/netstat costs
// several times as much as reading it.
type procFile struct {
	path string
	mu   sync.Mutex
	fd   int // -1 until opened
	buf  []byte
}

// read returns the file's current content, valid until the next read; f.mu
// is held by the caller.
func (f *procFile) read() ([]byte, error) {
	if f.fd < 0 {
		fd, err := unix.Open(f.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: f.path, Err: err}
		}
		f.fd, f.buf = fd, make([]byte, 4096)
	}
	for {
		n, err := unix.Pread(f.fd, f.buf, 0)
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n < len(f.buf) {
			return f.buf[:n], nil
		}
		if len(f.buf) >= 1<<20 {
			return nil, fmt.Errorf("%s: more than %d bytes", f.path, len(f.buf))
		}
		f.buf = make([]byte, 2*len(f.buf))
	}
}

// userHZ is the unit of /proc/self/stat's times, as procfs assumes.
const userHZ = 100

func newProcessCollector() prometheus.Collector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &processCollector{
		cpu:      d("process_cpu_seconds_total", "Total user and system CPU time spent in seconds."),
		openFDs:  d("process_open_fds", "Number of open file descriptors."),
		maxFDs:   d("process_max_fds", "Maximum number of open file descriptors."),
		vsize:    d("process_virtual_memory_bytes", "Virtual memory size in bytes."),
		maxVsize: d("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes."),
		rss:      d("process_resident_memory_bytes", "Resident memory size in bytes."),
		start:    d("process_start_time_seconds", "Start time of the process since unix epoch in seconds."),
		in:       d("process_network_receive_bytes_total", "Number of bytes received by the process over the network."),
		out:      d("process_network_transmit_bytes_total", "Number of bytes sent by the process over the network."),
		stat:     procFile{path: "/proc/self/stat", fd: -1},
		netstat:  procFile{path: "/proc/self/net/netstat", fd: -1},
	}
}

func (c *processCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.cpu, c.openFDs, c.maxFDs, c.vsize, c.maxVsize, c.rss, c.start, c.in, c.out} {
		ch <- d
	}
}

func (c *processCollector) Collect(ch chan<- prometheus.Metric) {
	if st, err := c.readSelfStat(); err == nil {
		ch <- prometheus.MustNewConstMetric(c.cpu, prometheus.CounterValue, float64(st.utime+st.stime)/userHZ)
		ch <- prometheus.MustNewConstMetric(c.vsize, prometheus.GaugeValue, float64(st.vsize))
		ch <- prometheus.MustNewConstMetric(c.rss, prometheus.GaugeValue, float64(st.rss*int64(os.Getpagesize())))
		c.startOnce.Do(func() {
			var boot uint64
			if boot, c.startErr = bootTime(); c.startErr == nil {
				c.startTime = float64(boot) + float64(st.starttime)/userHZ
			}
		})
		if c.startErr == nil {
			ch <- prometheus.MustNewConstMetric(c.start, prometheus.GaugeValue, c.startTime)
		} else {
			ch <- prometheus.NewInvalidMetric(c.start, c.startErr)
		}
	} else {
		ch <- prometheus.NewInvalidMetric(c.cpu, err)
	}
	if n, err := openFDs(); err == nil {
		ch <- prometheus.MustNewConstMetric(c.openFDs, prometheus.GaugeValue, float64(n))
	} else {
		ch <- prometheus.NewInvalidMetric(c.openFDs, err)
	}
	var files, as unix.Rlimit
	errFiles, errAS := unix.Getrlimit(unix.RLIMIT_NOFILE, &files), unix.Getrlimit(unix.RLIMIT_AS, &as)
	if errFiles == nil && errAS == nil {
		ch <- prometheus.MustNewConstMetric(c.maxFDs, prometheus.GaugeValue, float64(files.Cur))
		ch <- prometheus.MustNewConstMetric(c.maxVsize, prometheus.GaugeValue, float64(as.Cur))
	} else {
		ch <- prometheus.NewInvalidMetric(c.maxFDs, fmt.Errorf("getrlimit: %w", errors.Join(errFiles, errAS)))
	}
	if in, out, err := c.netOctets(); err == nil {
		ch <- prometheus.MustNewConstMetric(c.in, prometheus.CounterValue, in)
		ch <- prometheus.MustNewConstMetric(c.out, prometheus.CounterValue, out)
	} else {
		ch <- prometheus.NewInvalidMetric(c.in, err)
	}
}

type selfStat struct {
	utime, stime, starttime, vsize uint64
	rss                            int64
}

// readSelfStat reads the fields of /proc/self/stat the metrics use.
func (c *processCollector) readSelfStat() (selfStat, error) {
	var st selfStat
	c.stat.mu.Lock()
	defer c.stat.mu.Unlock()
	data, err := c.stat.read()
	if err != nil {
		return st, err
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is the first, utime the 12th, rss the 22nd.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return st, fmt.Errorf("/proc/self/stat: no command name")
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 22 {
		return st, fmt.Errorf("/proc/self/stat: %d fields", len(f))
	}
	for _, v := range []struct {
		field int
		into  *uint64
	}{{11, &st.utime}, {12, &st.stime}, {19, &st.starttime}, {20, &st.vsize}} {
		if *v.into, err = strconv.ParseUint(string(f[v.field]), 10, 64); err != nil {
			return st, fmt.Errorf("/proc/self/stat: %w", err)
		}
	}
	if st.rss, err = strconv.ParseInt(string(f[21]), 10, 64); err != nil {
		return st, fmt.Errorf("/proc/self/stat: %w", err)
	}
	return st, nil
}

// bootTime is btime of /proc/stat, seconds since the epoch.
func bootTime() (uint64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			b, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: btime: %w", err)
			}
			return b, nil
		}
	}
	return 0, fmt.Errorf("/proc/stat: no btime")
}

// openFDs counts /proc/self/fd: its size since Linux 6.2, else its entries,
// as procfs does.
func openFDs() (int, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/fd", &st); err != nil {
		return 0, fmt.Errorf("/proc/self/fd: %w", err)
	}
	if st.Size > 0 {
		return int(st.Size), nil
	}
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/fd: %w", err)
	}
	return len(names), nil
}

// netOctets are InOctets and OutOctets of the IpExt lines of
// /proc/self/net/netstat (0 when absent, as client_golang reports them).
func (c *processCollector) netOctets() (in, out float64, err error) {
	c.netstat.mu.Lock()
	defer c.netstat.mu.Unlock()
	data, err := c.netstat.read()
	if err != nil {
		return 0, 0, err
	}
	var names [][]byte
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("IpExt:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if names == nil {
			names = fields
			continue
		}
		for i, n := range names {
			if i >= len(fields) {
				break
			}
			switch string(n) {
			case "InOctets":
				in, err = strconv.ParseFloat(string(fields[i]), 64)
			case "OutOctets":
				out, err = strconv.ParseFloat(string(fields[i]), 64)
			}
			if err != nil {
				return 0, 0, fmt.Errorf("/proc/self/net/netstat: %w", err)
			}
		}
		break
	}
	return in, out, nil
}
