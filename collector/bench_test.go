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
// made for it: the first n netfilter modules (by name) required and loaded.
type benchHost struct {
	proc, sys, root, release string
	required                 []string
	files                    []string // the required modules' files (host paths)
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
	var candidates []string
	paths := map[string]string{}
	for _, line := range strings.Split(string(dep), "\n") {
		p, _, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name := kmod.Normalize(strings.SplitN(path.Base(p), ".", 2)[0])
		paths[name] = path.Join("/lib/modules", tree, p)
		if strings.Contains(p, "/netfilter/") {
			candidates = append(candidates, name)
		}
	}
	sort.Strings(candidates)
	if len(candidates) < n {
		b.Fatalf("only %d netfilter modules", len(candidates))
	}
	h.required = candidates[:n]
	var modules strings.Builder
	for _, m := range h.required {
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

func (h benchHost) registry(b *testing.B) *prometheus.Registry {
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(kc)
	return reg
}

var sizes = []int{1, 10, 50, 200}

// BenchmarkScrapeWarm is one full scrape (every collector, Gather) with the
// index caches filled, as every scrape after the first.
func BenchmarkScrapeWarm(b *testing.B) {
	for _, tree := range []string{"6.1.0-56-amd64", "6.1.0-56-cloud-amd64"} {
		for _, n := range sizes {
			if tree != "6.1.0-56-amd64" && n != 50 {
				continue
			}
			b.Run(fmt.Sprintf("%s/required=%d", tree, n), func(b *testing.B) {
				reg := newBenchHost(b, tree, n).registry(b)
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
				if _, err := h.registry(b).Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFloor only reads what a warm scrape must read: the /proc files,
// the configuration directories, a stat of each index file, and a stat of
// each required module's file. Scrape / floor is the exporter's overhead.
func BenchmarkFloor(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("6.1.0-56-amd64/required=%d", n), func(b *testing.B) {
			h := newBenchHost(b, "6.1.0-56-amd64", n)
			dir := filepath.Join(h.root, "lib/modules", h.release)
			procFiles := []string{"sys/kernel/osrelease", "cmdline", "modules", "pressure/memory", "meminfo", "sys/net/netfilter/nf_conntrack_count", "sys/net/netfilter/nf_conntrack_max"}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, f := range procFiles {
					if _, err := os.ReadFile(filepath.Join(h.proc, f)); err != nil {
						b.Fatal(err)
					}
				}
				for _, d := range append(kmod.ModprobeDirs, kmod.ModulesLoadDirs...) {
					os.ReadDir(filepath.Join(h.root, d))
				}
				for _, f := range []string{"modules.dep", "modules.alias", "modules.builtin", "modules.builtin.modinfo", "modules.softdep"} {
					if _, err := os.Stat(filepath.Join(dir, f)); err != nil && f != "modules.builtin.modinfo" {
						b.Fatal(err)
					}
				}
				for _, f := range h.files {
					if _, err := os.Stat(filepath.Join(h.root, f)); err != nil {
						b.Fatal(err)
					}
				}
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
