package kmod

import (
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"testing"
)

func TestXtablesAndConntrack(t *testing.T) {
	x, err := readXtables(hostfs.NewDir("../fixtures/healthy/proc"), "ipv4")
	if err != nil || !x.Available || !x.Matches["recent"] || x.Matches["nosuch"] || !x.Targets["REJECT"] {
		t.Errorf("ipv4: %+v %v", x, err)
	}
	if x, err := readXtables(hostfs.NewDir("../fixtures/healthy/proc"), "ipv6"); err != nil || x.Available {
		t.Errorf("ipv6 files absent must be not available, not an error: %+v %v", x, err)
	}
	ct, err := readConntrack(hostfs.NewDir("../fixtures/conntrack-near-full/proc"))
	if err != nil || !ct.Available || ct.Entries != 259000 || ct.Limit != 262144 || ct.Stats.Drop != 812+790 || ct.Stats.EarlyDrop != 4093+3981 {
		t.Errorf("conntrack: %+v %v", ct, err)
	}
	if ct, err := readConntrack(hostfs.NewDir("../fixtures/not-loaded/proc")); err != nil || ct.Available {
		t.Errorf("nf_conntrack not loaded: %+v %v", ct, err)
	}
}
