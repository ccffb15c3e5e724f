package kmod

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// Xtables is what the kernel's x_tables has registered for one family: the
// kernel half of `iptables -m NAME -h`.
type Xtables struct {
	// Available is false when the family's files in /proc/net are absent
	// (its *_tables module is not loaded, as on an nftables-only host).
	Available bool
	// Unreadable: the files exist but the kernel makes them readable by
	// root only (mode 0440), and the exporter runs unprivileged.
	Unreadable bool
	Matches    map[string]bool
	Targets    map[string]bool
}

var xtablesPrefix = map[string]string{"ipv4": "ip", "ipv6": "ip6"}

// ReadXtables reads /proc/net/{ip,ip6}_tables_{matches,targets}. They show
// the network namespace of the reader, so the exporter must run in the
// host's (a container needs --network host).
func ReadXtables(procPath, family string) (Xtables, error) {
	x := Xtables{Matches: map[string]bool{}, Targets: map[string]bool{}}
	prefix, ok := xtablesPrefix[family]
	if !ok {
		return x, errors.New("unknown family " + family)
	}
	for kind, set := range map[string]map[string]bool{"matches": x.Matches, "targets": x.Targets} {
		data, _, err := readRegular(filepath.Join(procPath, "net", prefix+"_tables_"+kind), maxIndexFile)
		if err != nil {
			switch {
			case NotApplicable(err):
				return Xtables{}, nil
			case errors.Is(err, fs.ErrPermission):
				return Xtables{Available: true, Unreadable: true}, nil
			}
			return Xtables{}, err
		}
		x.Available = true
		eachLine(data, func(line []byte, _ int) {
			if n := string(bytes.TrimSpace(line)); n != "" {
				set[n] = true
			}
		})
	}
	return x, nil
}

// Conntrack is the connection tracking table's fill and its per-CPU
// statistics summed over CPUs.
type Conntrack struct {
	Available      bool // nf_conntrack is loaded (its sysctls exist)
	Entries, Limit uint64
	HasStats       bool
	Stats          procfs.ConntrackStatEntry
}

// ReadConntrack reads /proc/sys/net/netfilter/nf_conntrack_{count,max} and
// /proc/net/stat/nf_conntrack.
func ReadConntrack(procPath string) (Conntrack, error) {
	var c Conntrack
	read := func(name string) (uint64, error) {
		data, _, err := readRegular(filepath.Join(procPath, "sys/net/netfilter", name), 4096)
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
	fs, err := procfs.NewFS(procPath)
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

// DpkgVersion returns the version of an installed package from a dpkg
// status file, or "" when the package is not installed.
func DpkgVersion(status []byte, pkg string) string {
	for _, para := range bytes.Split(status, []byte("\n\n")) {
		var name, version, state string
		eachLine(para, func(line []byte, _ int) {
			k, v, ok := bytes.Cut(line, []byte(":"))
			if !ok || len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
				return
			}
			switch string(k) {
			case "Package":
				name = string(bytes.TrimSpace(v))
			case "Version":
				version = string(bytes.TrimSpace(v))
			case "Status":
				state = string(bytes.TrimSpace(v))
			}
		})
		if name == pkg && strings.HasSuffix(state, " installed") {
			return version
		}
	}
	return ""
}

// maxDpkgStatus bounds /var/lib/dpkg/status (a large server's is ~5 MiB).
const maxDpkgStatus = 64 << 20

// IptablesVersion reads the installed iptables package's version from the
// dpkg status file, without running anything. ok is false on hosts without
// dpkg (the RPM database is not read).
func (h *Host) IptablesVersion() (version string, ok bool, err error) {
	return h.iptablesVersion(h.root)
}

func (h *Host) iptablesVersion(files fileReader) (version string, ok bool, err error) {
	v, ok, err := readCached(h, files, &h.dpkgCache, "/var/lib/dpkg/status", maxDpkgStatus, func(b []byte) (string, error) {
		return DpkgVersion(b, "iptables"), nil
	})
	return v, ok && v != "", err
}

// IptablesBackend tells which kernel interface the iptables command uses:
// "nf_tables" (iptables-nft) or "legacy" (x_tables' ip_tables), from the
// Debian alternatives link, else from the kernel: ip_tables' /proc files
// mean legacy, nf_tables in /sys/module (loaded or built in) means
// nf_tables. "" when unknown.
func (h *Host) IptablesBackend() string { return h.iptablesBackend(h.root) }

func (h *Host) iptablesBackend(files fileReader) string {
	if target, err := files.readlink("/etc/alternatives/iptables"); err == nil {
		switch base := path.Base(target); {
		case strings.Contains(base, "nft"):
			return "nf_tables"
		case strings.Contains(base, "legacy"):
			return "legacy"
		}
	}
	if _, err := os.Stat(filepath.Join(h.proc, "net/ip_tables_names")); err == nil {
		return "legacy"
	}
	if _, err := os.Stat(filepath.Join(h.sys, "module/nf_tables")); err == nil {
		return "nf_tables"
	}
	return ""
}
