package collector

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// benchHost is testenv's kernel host: a real Debian tree with n netfilter
// modules required and loaded.
type benchHost struct{ testenv.KernelHost }

func newBenchHost(b *testing.B, spec string, n int) benchHost {
	return benchHost{testenv.NewKernelHost(b, spec, n)}
}

func must(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func (h benchHost) collector(b testing.TB) *KmodCollector {
	var reqs []Requirement
	for _, m := range h.Required {
		reqs = append(reqs, Requirement{Name: m, Source: "config"})
	}
	kc, err := New(Options{
		Host: kmod.NewHost(kmod.Paths{Proc: h.Proc, Sys: h.Sys, Root: h.Root}),
		Requirements: func() Requirements {
			return Requirements{Modules: reqs, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}
		},
	}, log.NewNopLogger(), Names()...)
	must(b, err)
	return kc
}

// registry is the collectors in a prometheus.Registry, the way a program
// embedding them would serve them.
func (h benchHost) registry(b *testing.B) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.collector(b))
	return reg
}

var sizes = []int{1, 10, 50, 200}

// BenchmarkScrapeWarm is one full scrape (every collector, Gather, as the
// exporter serves it) with the index caches filled, as every scrape after
// the first.
func BenchmarkScrapeWarm(b *testing.B) {
	benchWarm(b, func(h benchHost) prometheus.Gatherer { return h.collector(b) })
}

// BenchmarkScrapeWarmRegistry is the same scrape through
// prometheus.Registry.Gather (Collect, a constant metric per series, the
// registry's checks), the way a program embedding the collectors gets it.
func BenchmarkScrapeWarmRegistry(b *testing.B) {
	benchWarm(b, func(h benchHost) prometheus.Gatherer { return h.registry(b) })
}

func benchWarm(b *testing.B, gatherer func(benchHost) prometheus.Gatherer) {
	amd64, cloud := testenv.Release(b, "amd64"), testenv.Release(b, "cloud-amd64")
	for _, tree := range []string{amd64, cloud, amd64 + "+" + cloud} {
		for _, n := range sizes {
			if tree != amd64 && n != 50 {
				continue
			}
			b.Run(fmt.Sprintf("%s/required=%d", tree, n), func(b *testing.B) {
				reg := gatherer(newBenchHost(b, tree, n))
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := reg.Gather(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkScrapeCold is the first scrape of a new process: every index
// parsed and every module header read.
func BenchmarkScrapeCold(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("amd64/required=%d", n), func(b *testing.B) {
			h := newBenchHost(b, testenv.Release(b, "amd64"), n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := h.collector(b).Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFloor only touches what a warm scrape must touch, each the
// cheapest way, with plain paths: it reads the /proc files, lists the
// configuration directories and /lib/modules, and stats the index files,
// every loaded module's file, the kernel configuration, the rulesets, the
// dpkg database and /etc/modules, and reads the iptables alternatives link.
// Scrape / floor is the exporter's overhead.
func BenchmarkFloor(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("amd64/required=%d", n), func(b *testing.B) {
			h := newBenchHost(b, testenv.Release(b, "amd64"), n)
			dir := path.Join("/lib/modules", h.Release)
			procFiles := []string{"sys/kernel/osrelease", "cmdline", "modules", "pressure/memory", "meminfo",
				"sys/net/netfilter/nf_conntrack_count", "sys/net/netfilter/nf_conntrack_max", "net/stat/nf_conntrack",
				"net/ip_tables_matches", "net/ip6_tables_matches"}
			dirs := append(append([]string{"/lib/modules"}, kmod.ModprobeDirs...), kmod.ModulesLoadDirs...)
			stats := append([]string{dir, "/boot/config-" + h.Release, "/etc/modules", "/var/lib/dpkg/status"}, kmod.DefaultRulesets...)
			for _, f := range []string{"modules.dep", "modules.alias", "modules.builtin", "modules.builtin.modinfo", "modules.softdep"} {
				stats = append(stats, path.Join(dir, f))
			}
			stats = append(stats, h.Files...)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, f := range procFiles {
					os.ReadFile(filepath.Join(h.Proc, f))
				}
				for _, d := range dirs {
					os.ReadDir(filepath.Join(h.Root, d))
				}
				for _, f := range stats {
					os.Stat(filepath.Join(h.Root, f))
				}
				os.Readlink(filepath.Join(h.Root, "/etc/alternatives/iptables"))
			}
		})
	}
}

// BenchmarkModel is the host model alone (snapshot, requirements, every
// required module's answers), without building or gathering metrics: the
// difference to BenchmarkScrapeWarm is client_golang's share.
func BenchmarkModel(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("amd64/required=%d", n), func(b *testing.B) {
			h := newBenchHost(b, testenv.Release(b, "amd64"), n)
			host := kmod.NewHost(kmod.Paths{Proc: h.Proc, Sys: h.Sys, Root: h.Root})
			var reqs []kmod.Requirement
			for _, m := range h.Required {
				reqs = append(reqs, kmod.Requirement{Name: m, Source: "config"})
			}
			spec := kmod.RequirementSpec{Modules: reqs, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}
			run := func() {
				v := host.View()
				s, err := v.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				required, _, _ := s.Required(spec, v.IptablesBackend())
				for m := range required {
					s.Module(m)
				}
				s.Done()
				v.Release()
			}
			run()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run()
			}
		})
	}
}

// newFailureHost is the 50-module benchmark host with every fifth required
// module (10) broken and so not loaded: state "not-in-modules.dep" (the
// file is on disk but depmod was not run after it was installed) or
// "missing-from-disk" (modules.dep lists it, the file is gone). Either way
// the exporter has to look through the tree for the module. The root is
// the tree hard-linked, with the changed files replaced.
func newFailureHost(b *testing.B, state string) (benchHost, []string) {
	h := newBenchHost(b, testenv.Release(b, "amd64"), 50)
	var broken []string
	for i := 4; i < len(h.Required); i += 5 {
		broken = append(broken, h.Required[i])
	}
	isBroken := func(name string) bool {
		for _, m := range broken {
			if m == name {
				return true
			}
		}
		return false
	}
	// A module's name is its file name up to the first dot, '-' as '_'.
	nameOf := func(p string) string {
		return strings.ReplaceAll(strings.SplitN(filepath.Base(p), ".", 2)[0], "-", "_")
	}
	depFile := path.Join("lib/modules", h.Release, "modules.dep")
	modDir := path.Join("lib/modules", h.Release) + "/"
	root := b.TempDir()
	err := filepath.WalkDir(h.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(h.Root, p)
		target := filepath.Join(root, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case rel == depFile && state == "not-in-modules.dep":
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var kept []string
			for _, line := range strings.Split(string(data), "\n") {
				if file, _, ok := strings.Cut(line, ":"); !ok || !isBroken(nameOf(file)) {
					kept = append(kept, line)
				}
			}
			return os.WriteFile(target, []byte(strings.Join(kept, "\n")), 0o644)
		case state == "missing-from-disk" && strings.HasPrefix(rel, modDir) && strings.Contains(d.Name(), ".ko") && isBroken(nameOf(d.Name())):
			return nil
		}
		return os.Link(p, target)
	})
	if err != nil {
		testenv.Missing(b, "a hard-linked copy of the tree", err.Error())
	}
	h.Root = root
	modules, err := os.ReadFile(filepath.Join(h.Proc, "modules"))
	must(b, err)
	var loaded []string
	for _, line := range strings.Split(string(modules), "\n") {
		if name, _, _ := strings.Cut(line, " "); !isBroken(name) {
			loaded = append(loaded, line)
		}
	}
	must(b, os.WriteFile(filepath.Join(h.Proc, "modules"), []byte(strings.Join(loaded, "\n")), 0o644))
	for _, m := range broken {
		must(b, os.RemoveAll(filepath.Join(h.Sys, "module", m)))
	}
	return h, broken
}

// countValue counts the series of a family with the given value.
func countValue(families []*dto.MetricFamily, name string, value float64) int {
	n := 0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if m.GetGauge().GetValue() == value {
				n++
			}
		}
	}
	return n
}

// BenchmarkScrapeFailure is the warm 50-module scrape of a healthy host and
// of the two failure states of newFailureHost, side by side: each iteration
// scrapes the three in turn, starting with a different one each time (the
// first after another's scrape runs on colder caches), so the machine's
// noise falls on all alike. It
// reports each one's microseconds per scrape and each failure's ratio to
// the healthy scrape (issue 18: at most 2).
func BenchmarkScrapeFailure(b *testing.B) {
	states := []string{"healthy", "not-in-modules.dep", "missing-from-disk"}
	gatherers := map[string]*KmodCollector{}
	for _, state := range states {
		var h benchHost
		var broken []string
		if state == "healthy" {
			h = newBenchHost(b, testenv.Release(b, "amd64"), 50)
		} else {
			h, broken = newFailureHost(b, state)
		}
		kc := h.collector(b)
		families, err := kc.Gather()
		must(b, err)
		// The states are what they say: 10 modules not loaded, and each
		// one's file found off modules.dep, or not found.
		notLoaded, stale, missing := countValue(families, "kmod_module_loaded", 0), countValue(families, "kmod_module_depmod_stale", 1), countValue(families, "kmod_module_present_on_disk", 0)
		want := map[string][3]int{"healthy": {0, 0, 0}, "not-in-modules.dep": {10, 10, 0}, "missing-from-disk": {10, 0, 10}}[state]
		if got := [3]int{notLoaded, stale, missing}; got != want || len(broken) != want[0] {
			b.Fatalf("%s: not loaded, depmod stale, missing from disk: %v, want %v", state, got, want)
		}
		gatherers[state] = kc
	}
	took := map[string]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range states {
			state := states[(i+j)%len(states)]
			start := time.Now()
			if _, err := gatherers[state].Gather(); err != nil {
				b.Fatal(err)
			}
			took[state] += time.Since(start)
		}
	}
	b.StopTimer()
	for _, state := range states {
		b.ReportMetric(float64(took[state].Microseconds())/float64(b.N), state+"-µs")
		if state != "healthy" {
			b.ReportMetric(float64(took[state])/float64(took["healthy"]), state+"/healthy")
		}
	}
}
