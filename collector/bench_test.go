package collector

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

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
		Host:         kmod.NewHost(kmod.Paths{Proc: h.Proc, Sys: h.Sys, Root: h.Root}),
		ProcPath:     h.Proc,
		Requirements: func() Requirements { return Requirements{Modules: reqs, Rulesets: kmod.DefaultRulesets} },
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
	for _, tree := range []string{"6.1.0-56-amd64", "6.1.0-56-cloud-amd64", "6.1.0-56-amd64+6.1.0-56-cloud-amd64"} {
		for _, n := range sizes {
			if tree != "6.1.0-56-amd64" && n != 50 {
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
		b.Run(fmt.Sprintf("6.1.0-56-amd64/required=%d", n), func(b *testing.B) {
			h := newBenchHost(b, "6.1.0-56-amd64", n)
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
		b.Run(fmt.Sprintf("6.1.0-56-amd64/required=%d", n), func(b *testing.B) {
			h := newBenchHost(b, "6.1.0-56-amd64", n)
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
		b.Run(fmt.Sprintf("6.1.0-56-amd64/required=%d", n), func(b *testing.B) {
			h := newBenchHost(b, "6.1.0-56-amd64", n)
			host := kmod.NewHost(kmod.Paths{Proc: h.Proc, Sys: h.Sys, Root: h.Root})
			var reqs []kmod.Requirement
			for _, m := range h.Required {
				reqs = append(reqs, kmod.Requirement{Name: m, Source: "config"})
			}
			spec := kmod.RequirementSpec{Modules: reqs, Rulesets: kmod.DefaultRulesets}
			run := func() {
				s, err := host.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				required, _, _ := s.Required(spec, host.IptablesBackend())
				for m := range required {
					s.Module(m)
				}
				s.Done()
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
