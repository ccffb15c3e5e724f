package collector

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// TestFilesChangingMidScrape scrapes from several goroutines while the
// host's files change under them (modules loaded and unloaded, depmod
// rewriting its index, a blacklist line coming and going), as on a live
// host. Every scrape must succeed with a complete answer; `make test` runs
// this under the race detector.
func TestFilesChangingMidScrape(t *testing.T) {
	dir := testenv.CopyTree(t, "../fixtures/healthy")
	procModules := filepath.Join(dir, "proc/modules")
	modulesDep := filepath.Join(dir, "root/lib/modules/6.1.0-18-amd64/modules.dep")
	blacklist := filepath.Join(dir, "root/etc/modprobe.d/churn.conf")
	loaded, err := os.ReadFile(procModules)
	must(t, err)
	dep, err := os.ReadFile(modulesDep)
	must(t, err)
	kc, err := New(Options{
		Host: fixtureHost(dir),
		Requirements: func() Requirements {
			return Requirements{Modules: []Requirement{{Name: "nf_conntrack", Source: "default"}}, IncludeBoot: true, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}
		},
	}, log.NewNopLogger(), Names()...)
	must(t, err)
	reg := prometheus.NewRegistry()
	reg.MustRegister(kc)

	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		check := func(err error) bool {
			if err != nil {
				t.Error(err) // not Fatal: this is not the test's goroutine
			}
			return err == nil
		}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// In place, as the kernel's /proc/modules changes.
			if !check(os.WriteFile(procModules, loaded[:len(loaded)*(i%2+1)/2], 0o644)) {
				return
			}
			// Renamed over, as depmod writes its index.
			tmp := modulesDep + ".tmp"
			if !check(os.WriteFile(tmp, append(dep, fmt.Sprintf("extra/m%d.ko:\n", i)...), 0o644)) || !check(os.Rename(tmp, modulesDep)) {
				return
			}
			if i%2 == 0 {
				check(os.WriteFile(blacklist, []byte("blacklist xt_set\n"), 0o644))
			} else {
				os.Remove(blacklist)
			}
		}
	}()
	var scrapers sync.WaitGroup
	for g := 0; g < 4; g++ {
		scrapers.Add(1)
		go func() {
			defer scrapers.Done()
			// Half scrape as the exporter does (Gather, sharing the families
			// it built last time), half through a registry (Collect).
			gather := reg.Gather
			if g%2 == 0 {
				gather = kc.Gather
			}
			for i := 0; i < 50; i++ {
				families, err := gather()
				if err != nil {
					t.Errorf("gather: %v", err)
					return
				}
				for _, f := range families {
					if _, err := expfmt.MetricFamilyToText(io.Discard, f); err != nil {
						t.Errorf("encode: %v", err)
					}
				}
				seen := map[string]bool{}
				for _, f := range families {
					seen[f.GetName()] = true
				}
				for _, want := range []string{"kmod_module_loaded", "kmod_scrape_collector_success", "kmod_kernel_info"} {
					if !seen[want] {
						t.Errorf("scrape without %s", want)
					}
				}
			}
		}()
	}
	scrapers.Wait()
	close(stop)
	writer.Wait()
}
