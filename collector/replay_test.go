package collector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// modulesText is the modules collector's series as text, without the
// scrape durations, which differ every time.
func modulesText(t *testing.T, kc *KmodCollector) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(kc)
	mfs, err := reg.Gather()
	must(t, err)
	var out strings.Builder
	enc := expfmt.NewEncoder(&out, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if mf.GetName() == "kmod_scrape_collector_duration_seconds" {
			continue
		}
		must(t, enc.Encode(mf))
	}
	return out.String()
}

// The modules collector adds its last series again only while the module
// snapshot is the one it built them from: after a change they are those of
// a collector that never scraped the host, and its warnings are logged at
// every scrape, as if it had built them.
func TestModulesSeriesAddedAgainOnlyWhileUnchanged(t *testing.T) {
	dir := testenv.CopyTree(t, "../fixtures/healthy")
	reqs := Requirements{
		Modules:  []Requirement{{Name: "nf_conntrack", Source: "flag"}, {Name: "no_such_module", Source: "flag"}},
		Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...),
	}
	logs := &testenv.SyncBuffer{}
	newCollector := func(logger log.Logger) *KmodCollector {
		kc, err := New(Options{Host: fixtureHost(dir), Requirements: func() Requirements { return reqs }}, logger, "modules")
		must(t, err)
		return kc
	}
	kc := newCollector(level.NewFilter(log.NewLogfmtLogger(logs), level.AllowWarn()))
	mc := kc.collectors["modules"].(*modulesCollector)
	lastSnap := func() *kmod.Snapshot {
		mc.mu.Lock()
		defer mc.mu.Unlock()
		return mc.last.snap
	}
	const unknown = "a required name is no module, alias or built-in of any installed kernel"
	scrape := func(what string) *kmod.Snapshot {
		t.Helper()
		got := modulesText(t, kc)
		if want := modulesText(t, newCollector(log.NewNopLogger())); got != want {
			t.Errorf("%s: series differ from a new collector's:\n got %s\nwant %s", what, got, want)
		}
		if n := strings.Count(logs.Take(), unknown); n != 1 {
			t.Errorf("%s: the unknown name's warning was logged %d times, want once", what, n)
		}
		return lastSnap()
	}
	scrape("first")
	scrape("second")
	kept := scrape("third")
	if again := scrape("fourth"); again != kept || kept == nil {
		t.Fatalf("nothing changed, yet the series were built anew (%p, then %p)", kept, again)
	}
	must(t, os.WriteFile(filepath.Join(dir, "root/etc/modprobe.d/fw.conf"), []byte("blacklist nf_conntrack\n"), 0o644))
	if after := scrape("blacklist added"); after == kept {
		t.Error("a blacklist line was added, yet the series were added again")
	}
	if got := modulesText(t, kc); !strings.Contains(got, `kmod_module_blacklisted{module="nf_conntrack"} 1`) {
		t.Errorf("the blacklist is not reported:\n%s", got)
	}
	logs.Take()
	// The requirements changed: the snapshot may be the same, its series
	// for them are not.
	reqs.Modules = reqs.Modules[:1]
	got := modulesText(t, kc)
	if strings.Contains(got, "no_such_module") {
		t.Errorf("a name no longer required is still reported:\n%s", got)
	}
	if n := strings.Count(logs.Take(), unknown); n != 0 {
		t.Errorf("the warning of a name no longer required was logged %d times", n)
	}
}
