package kmod

// The model compared with kmod's tools on every module of the real trees.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

func TestOracleKernelTrees(t *testing.T) {
	modinfo, modprobe := testenv.Tool(t, "modinfo"), testenv.Tool(t, "modprobe")
	trees, compressed := testenv.KernelTrees(t)
	var releases []string
	for r := range trees {
		releases = append(releases, r)
	}
	sort.Strings(releases)
	roots := map[string]string{}
	for _, r := range releases {
		roots[r] = trees[r]
	}
	roots["compressed"] = compressed
	total := 0
	for _, label := range append(releases, "compressed") {
		root := roots[label]
		entries, _ := os.ReadDir(filepath.Join(root, "lib/modules"))
		if len(entries) != 1 {
			t.Fatalf("%s: want one release under lib/modules", root)
		}
		release := entries[0].Name()
		t.Run(label, func(t *testing.T) {
			total += compareTree(t, label, modinfo, modprobe, root, release)
		})
	}
	verdict := "0 disagreements"
	if t.Failed() {
		verdict = "DISAGREEMENTS above"
	}
	fmt.Printf("oracle: %d modules compared with kmod on %d trees: %s\n", total, len(roots), verdict)
}

// compareTree compares every module of one tree and returns how many.
func compareTree(t *testing.T, label, modinfo, modprobe, root, release string) int {
	h := oracleHost(t, root, release)
	s, err := readSnapshot(t, h)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	names = append(names, s.dep.Names()...)
	for n := range s.builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	oracle := oracleModinfo(t, modinfo, root, release, names)
	cfg := configArgs(t, root)
	fail := func(name, what string, ours, kmods any) {
		t.Errorf("%s %s: exporter says %v, kmod says %v", name, what, ours, kmods)
	}
	for _, name := range names {
		if l := s.Lookup(name); len(l) != 1 || l[0] != name {
			// An alias shadows the name (modules.builtin lists crc32, but
			// modules.alias maps crc32 to crc32_pclmul and crc32_generic,
			// and kmod tries aliases first): modinfo describes those.
			continue
		}
		o, ok := oracle[name]
		if !ok {
			t.Errorf("%s: modinfo found nothing", name)
			continue
		}
		st := s.Module(name)
		if o.filename == "(builtin)" {
			if !st.Builtin || st.OnDisk {
				fail(name, "built in / on disk", fmt.Sprint(st.Builtin, "/", st.OnDisk), "builtin, no file")
			}
			continue
		}
		kmodFile := strings.TrimPrefix(filepath.Clean(o.filename), filepath.Clean(root))
		if st.Builtin || !st.OnDisk || st.File != kmodFile {
			fail(name, "file", st.File, kmodFile)
		}
		real, _ := h.root.Resolve(st.File)
		mi, _, err := ReadModInfoFile(real)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if mi.Vermagic != o.vermagic {
			fail(name, "vermagic", mi.Vermagic, o.vermagic)
		}
		if st.FileRelease != release || !st.ReleaseMatch {
			fail(name, "release", st.FileRelease, release)
		}
		if !reflect.DeepEqual(mi.Depends, splitDepends(o.depends)) {
			fail(name, "depends", mi.Depends, splitDepends(o.depends))
		}
	}
	var mu sync.Mutex
	parallel(names, func(name string) {
		want, err := oracleLoadOrder(modprobe, cfg, root, release, name)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("%s: modprobe -D: %v", name, err)
			return
		}
		// modprobe NAME probes every module NAME looks up to, each on its own.
		var got []string
		for _, m := range s.Lookup(name) {
			got = append(got, s.LoadOrder(m)...)
		}
		if !reflect.DeepEqual(got, want) {
			fail(name, "load order", got, want)
		}
		// The dependency closure the metrics report is the load order's
		// modules.dep part, plus the depends= names no module provides
		// (modprobe cannot load those, so they are not in its order).
		var deps []string
		for _, d := range s.Module(name).Deps {
			if d.Gone {
				continue
			}
			deps = append(deps, d.Name)
		}
		for _, d := range deps {
			if !slices.Contains(want, d) {
				fail(name, "dependency", d, want)
			}
		}
	})
	compareAliases(t, label, s, modprobe, cfg, root, release)
	return len(names)
}

// compareAliases resolves every netfilter alias (ipt_*, ip6t_*, nf-*,
// net-pf-*) and a sample of the others with `modprobe -R`.
func compareAliases(t *testing.T, label string, s *Snapshot, modprobe string, cfg []string, root, release string) {
	var queries []string
	seen := map[string]bool{}
	for i := range s.aliases.len() {
		a := s.aliases.at(i)
		nf := strings.HasPrefix(a.Pattern, "ipt_") || strings.HasPrefix(a.Pattern, "ip6t_") ||
			strings.HasPrefix(a.Pattern, "nf_") || strings.HasPrefix(a.Pattern, "net_pf_")
		if !nf && i%97 != 0 {
			continue
		}
		q := concreteAlias(a.Pattern)
		if !seen[q] && q != "" {
			seen[q] = true
			queries = append(queries, q)
		}
	}
	var mu sync.Mutex
	parallel(queries, func(q string) {
		args := append(append([]string{"-R", "-d", root, "-S", release}, cfg...), q)
		out, err := exec.Command(modprobe, args...).Output()
		var want []string
		if err == nil {
			want = strings.Fields(string(out))
		}
		for i := range want {
			want[i] = Normalize(want[i])
		}
		got := s.Lookup(q)
		mu.Lock()
		defer mu.Unlock()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("alias %q: exporter resolves %v, kmod %v", q, got, want)
		}
	})
	fmt.Printf("oracle: %s: %d alias lookups compared\n", label, len(queries))
}

// TestOracleCompressedModules: the compressed tree must exercise every
// format, and .ko.gz modules (which Debian's kmod, built without zlib,
// cannot read) must give the same .modinfo as the uncompressed original
// from the amd64 tree, as modinfo reads it.
