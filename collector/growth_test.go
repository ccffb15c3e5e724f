package collector

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// TestNoGrowth scrapes a fixture host 10,000 times (a count, not a timer)
// and checks that goroutines and the live heap come back to what they were
// after the first 1,000. KMOD_GROWTH_SCRAPES overrides the count; `make
// test` runs it without the race detector, which would slow it tenfold.
func TestNoGrowth(t *testing.T) {
	scrapes := 10000
	if v, err := strconv.Atoi(os.Getenv("KMOD_GROWTH_SCRAPES")); err == nil {
		scrapes = v
	} else if raceEnabled {
		t.Skip("10,000 scrapes under -race take minutes; `make test` runs this without it")
	}
	dir := "../fixtures/healthy"
	// The required set changes every 100 scrapes, as a reloaded
	// configuration changes it, so the caches must drop what is no longer
	// asked for.
	var scrape int
	sets := [][]Requirement{
		{{Name: "nf_conntrack", Source: "default"}},
		{{Name: "nf_conntrack", Source: "default"}, {Name: "xt_set", Source: "config"}, {Name: "nft_log", Source: "config"}},
	}
	kc, err := New(Options{
		Host: fixtureHost(dir),
		Requirements: func() Requirements {
			return Requirements{Modules: sets[scrape/100%2], IncludeBoot: scrape/100%2 == 0, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}
		},
	}, log.NewNopLogger(), Names()...)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(kc)
	// Both ways of scraping: the exporter's (Gather) and a registry's.
	gather := func(n int) {
		for i := 0; i < n; i++ {
			g := reg.Gather
			if scrape%2 == 0 {
				g = kc.Gather
			}
			if _, err := g(); err != nil {
				t.Fatal(err)
			}
			scrape++
		}
	}
	live := func() (int, uint64) {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return runtime.NumGoroutine(), m.HeapAlloc
	}
	warm := scrapes / 10
	gather(warm)
	g0, h0 := live()
	gather(scrapes - warm)
	g1, h1 := live()
	if g1 > g0 {
		t.Errorf("goroutines grew from %d to %d over %d scrapes", g0, g1, scrapes-warm)
	}
	if h1 > h0+1<<20 {
		t.Errorf("live heap grew from %d to %d bytes over %d scrapes", h0, h1, scrapes-warm)
	}
	t.Logf("%d scrapes: goroutines %d -> %d, live heap %d -> %d bytes", scrapes, g0, g1, h0, h1)
}
