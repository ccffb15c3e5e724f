package testenv

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// KernelHost is a real Debian kernel tree as the root, with a /proc and
// /sys made for it: the first n netfilter modules (by name) required and
// loaded, with the modules they depend on, as a running kernel would have
// them. The benchmarks run on it.
type KernelHost struct {
	Proc, Sys, Root, Release string
	Required                 []string
	Files                    []string // the loaded modules' files (host paths)
}

// NewKernelHost makes a KernelHost running the release spec names; a spec
// "running+other" also installs the other release's tree, as a host with a
// kernel update pending has it.
func NewKernelHost(tb testing.TB, spec string, n int) KernelHost {
	tb.Helper()
	trees, _ := KernelTrees(tb)
	tree, other, twoTrees := strings.Cut(spec, "+")
	root := trees[tree]
	if root == "" || twoTrees && trees[other] == "" {
		Missing(tb, "the "+spec+" tree", "run `make testdata`")
	}
	if twoTrees {
		root = linkTrees(tb, root, trees[other])
	}
	h := KernelHost{Proc: tb.TempDir(), Sys: tb.TempDir(), Root: root, Release: tree}
	dep, err := os.ReadFile(filepath.Join(root, "lib/modules", tree, "modules.dep"))
	if err != nil {
		tb.Fatal(err)
	}
	// A module's name is its file name up to the first dot, with '-' as '_'.
	nameOf := func(p string) string { return strings.ReplaceAll(strings.SplitN(path.Base(p), ".", 2)[0], "-", "_") }
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
		tb.Fatalf("only %d netfilter modules", len(candidates))
	}
	h.Required = candidates[:n]
	// modules.dep lists every module's full dependency closure.
	loaded := map[string]bool{}
	var order []string
	for _, m := range h.Required {
		for _, l := range append(deps[m], m) {
			if !loaded[l] {
				loaded[l] = true
				order = append(order, l)
			}
		}
	}
	write := func(p, content string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	var modules strings.Builder
	for _, m := range order {
		h.Files = append(h.Files, paths[m])
		fmt.Fprintf(&modules, "%s 16384 0 - Live 0x0000000000000000\n", m)
		write(filepath.Join(h.Sys, "module", m, "initstate"), "live\n")
	}
	for p, c := range map[string]string{
		"sys/kernel/osrelease": tree + "\n", "cmdline": "BOOT_IMAGE=/boot/vmlinuz ro quiet\n", "modules": modules.String(),
		"pressure/memory":                      "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
		"meminfo":                              "MemTotal: 8128348 kB\nMemFree: 4000000 kB\nMemAvailable: 6000000 kB\n",
		"sys/net/netfilter/nf_conntrack_count": "100\n", "sys/net/netfilter/nf_conntrack_max": "262144\n",
	} {
		write(filepath.Join(h.Proc, p), c)
	}
	return h
}

// linkTrees makes one root holding every given tree, by hard links (the
// trees are hundreds of megabytes).
func linkTrees(tb testing.TB, srcs ...string) string {
	dst := tb.TempDir()
	for _, src := range srcs {
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			target := filepath.Join(dst, rel)
			switch {
			case d.IsDir():
				return os.MkdirAll(target, 0o755)
			case d.Type()&fs.ModeSymlink != 0:
				link, err := os.Readlink(p)
				if err != nil {
					return err
				}
				return os.Symlink(link, target)
			case rel == ".done":
				return nil
			}
			return os.Link(p, target)
		})
		if err != nil {
			Missing(tb, "one root holding "+strings.Join(srcs, " and "), fmt.Sprintf("hard links failed: %v", err))
		}
	}
	return dst
}
