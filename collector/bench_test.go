package collector

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// benchHost is a real Debian kernel tree as the root, with a /proc and /sys
// made for it: the first n netfilter modules (by name) required and loaded,
// with the modules they depend on, as a running kernel would have them.
type benchHost struct {
	proc, sys, root, release string
	required                 []string
	files                    []string // the loaded modules' files (host paths)
}

func newBenchHost(b *testing.B, tree string, n int) benchHost {
	b.Helper()
	trees, _ := testenv.KernelTrees(b)
	root := trees[tree]
	if root == "" {
		b.Skipf("no %s tree", tree)
	}
	h := benchHost{proc: b.TempDir(), sys: b.TempDir(), root: root, release: tree}
	dep, err := os.ReadFile(filepath.Join(root, "lib/modules", tree, "modules.dep"))
	if err != nil {
		b.Fatal(err)
	}
	nameOf := func(p string) string { return kmod.Normalize(strings.SplitN(path.Base(p), ".", 2)[0]) }
	var candidates []string
	paths := map[string]string{}
	deps := map[string][]string{}
	for _, line := range strings.Split(string(dep), "\n") {
		p, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name := nameOf(p)
		paths[name] = path.Join("/lib/modules", tree, p)
		for _, d := range strings.Fields(rest) {
			deps[name] = append(deps[name], nameOf(d))
		}
		if strings.Contains(p, "/netfilter/") {
			candidates = append(candidates, name)
		}
	}
	sort.Strings(candidates)
	if len(candidates) < n {
		b.Fatalf("only %d netfilter modules", len(candidates))
	}
	h.required = candidates[:n]
	// modules.dep lists every module's full dependency closure.
	loaded := map[string]bool{}
	var order []string
	for _, m := range h.required {
		for _, l := range append(deps[m], m) {
			if !loaded[l] {
				loaded[l] = true
				order = append(order, l)
			}
		}
	}
	var modules strings.Builder
	for _, m := range order {
		h.files = append(h.files, paths[m])
		fmt.Fprintf(&modules, "%s 16384 0 - Live 0x0000000000000000\n", m)
		must(b, os.MkdirAll(filepath.Join(h.sys, "module", m), 0o755))
		must(b, os.WriteFile(filepath.Join(h.sys, "module", m, "initstate"), []byte("live\n"), 0o644))
	}
	for p, c := range map[string]string{
		"sys/kernel/osrelease": tree + "\n", "cmdline": "BOOT_IMAGE=/boot/vmlinuz ro quiet\n", "modules": modules.String(),
		"pressure/memory":                      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
		"meminfo":                              "MemTotal: 8128348 kB\nMemFree: 4000000 kB\nMemAvailable: 6000000 kB\n",
		"sys/net/netfilter/nf_conntrack_count": "100\n", "sys/net/netfilter/nf_conntrack_max": "262144\n",
	} {
		must(b, os.MkdirAll(filepath.Dir(filepath.Join(h.proc, p)), 0o755))
		must(b, os.WriteFile(filepath.Join(h.proc, p), []byte(c), 0o644))
	}
	return h
}

func must(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func (h benchHost) collector(b *testing.B) *KmodCollector {
	var reqs []Requirement
	for _, m := range h.required {
		reqs = append(reqs, Requirement{Name: m, Source: "config"})
	}
	kc, err := New(Options{
		Host:         kmod.NewHost(kmod.Paths{Proc: h.proc, Sys: h.sys, Root: h.root}),
		ProcPath:     h.proc,
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
	for _, tree := range []string{"6.1.0-56-amd64", "6.1.0-56-cloud-amd64"} {
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
			dir := path.Join("/lib/modules", h.release)
			procFiles := []string{"sys/kernel/osrelease", "cmdline", "modules", "pressure/memory", "meminfo",
				"sys/net/netfilter/nf_conntrack_count", "sys/net/netfilter/nf_conntrack_max", "net/stat/nf_conntrack",
				"net/ip_tables_matches", "net/ip6_tables_matches"}
			dirs := append(append([]string{"/lib/modules"}, kmod.ModprobeDirs...), kmod.ModulesLoadDirs...)
			stats := append([]string{dir, "/boot/config-" + h.release, "/etc/modules", "/var/lib/dpkg/status"}, kmod.DefaultRulesets...)
			for _, f := range []string{"modules.dep", "modules.alias", "modules.builtin", "modules.builtin.modinfo", "modules.softdep"} {
				stats = append(stats, path.Join(dir, f))
			}
			stats = append(stats, h.files...)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, f := range procFiles {
					os.ReadFile(filepath.Join(h.proc, f))
				}
				for _, d := range dirs {
					os.ReadDir(filepath.Join(h.root, d))
				}
				for _, f := range stats {
					os.Stat(filepath.Join(h.root, f))
				}
				os.Readlink(filepath.Join(h.root, "/etc/alternatives/iptables"))
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
			host := kmod.NewHost(kmod.Paths{Proc: h.proc, Sys: h.sys, Root: h.root})
			var reqs []kmod.Requirement
			for _, m := range h.required {
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
