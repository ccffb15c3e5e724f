package collector

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// fixtureHost reads a fixture scenario's tree.
func fixtureHost(dir string) *kmod.Host {
	return kmod.NewHost(kmod.Paths{Proc: filepath.Join(dir, "proc"), Sys: filepath.Join(dir, "sys"), Root: filepath.Join(dir, "root")})
}

func newForScenario(t *testing.T, dir string, reqs Requirements) *KmodCollector {
	t.Helper()
	kc, err := New(Options{
		Host:         fixtureHost(dir),
		Requirements: func() Requirements { return reqs },
	}, log.NewNopLogger(), "kernel", "memory", "modules")
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// Names given by flag or config are resolved through modules.alias and keep
// their source; boot modules are required only when asked.
func TestRequirementSources(t *testing.T) {
	kc := newForScenario(t, "../fixtures/healthy", Requirements{Modules: []Requirement{
		{Name: "ipt_recent", Source: "flag"}, {Name: "nf-conntrack", Source: "config"}, {Name: "xt_recent", Source: "config"},
	}})
	want := `
# HELP kmod_module_required 1 for each required module and why it is required (source: config, flag, default, a ruleset's path, a firewall manager such as ufw, firewalld, fail2ban, docker or kube-proxy, ipsets, modules-load.d, cmdline).
# TYPE kmod_module_required gauge
kmod_module_required{module="nf_conntrack",source="config"} 1
kmod_module_required{module="xt_recent",source="config"} 1
kmod_module_required{module="xt_recent",source="flag"} 1
`
	if err := testutil.CollectAndCompare(kc, strings.NewReader(want), "kmod_module_required"); err != nil {
		t.Error(err)
	}
}

// A collector that cannot read its files reports success 0; the others are
// unaffected and the scrape still answers.
func TestOneFailingCollector(t *testing.T) {
	dir := testenv.CopyTree(t, "../fixtures/healthy", "proc/meminfo")
	kc := newForScenario(t, dir, Requirements{Modules: []Requirement{{Name: "nf_conntrack", Source: "default"}}})
	want := `
# HELP kmod_scrape_collector_success 1 if the collector read everything it needs from the host, 0 if part of it failed (the log says which file).
# TYPE kmod_scrape_collector_success gauge
kmod_scrape_collector_success{collector="kernel"} 1
kmod_scrape_collector_success{collector="memory"} 0
kmod_scrape_collector_success{collector="modules"} 1
`
	if err := testutil.CollectAndCompare(kc, strings.NewReader(want), "kmod_scrape_collector_success"); err != nil {
		t.Error(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(kc); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("the pedantic registry rejects the metrics: %v", err)
	}
}

func TestUnknownCollector(t *testing.T) {
	if _, err := New(Options{}, log.NewNopLogger(), "nope"); err == nil {
		t.Error("unknown collector accepted")
	}
	if got := strings.Join(Names(), ","); got != "conntrack,firewall,kernel,memory,modules" {
		t.Errorf("collectors: %s", got)
	}
}
