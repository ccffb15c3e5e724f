package kmod

import (
	"bytes"
	"errors"
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"io/fs"
	"path"
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

// readXtables reads /proc/net/{ip,ip6}_tables_{matches,targets}. They show
// the network namespace of the reader, so the exporter must run in the
// host's (a container needs --network host).
func readXtables(proc hostfs.Dir, family string) (Xtables, error) {
	x := Xtables{Matches: map[string]bool{}, Targets: map[string]bool{}}
	prefix, ok := xtablesPrefix[family]
	if !ok {
		return x, errors.New("unknown family " + family)
	}
	for kind, set := range map[string]map[string]bool{"matches": x.Matches, "targets": x.Targets} {
		data, _, err := proc.ReadFile(path.Join("net", prefix+"_tables_"+kind), maxIndexFile)
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
