package kmod

// Differential tests: kmod's own tools are the oracle for how the files under
// /lib/modules and modprobe.d are read. They run on the real Debian kernel
// trees `make testdata` unpacks (see docs/correctness.md).

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// oracleHost is a Host reading a kernel tree unpacked at root, as if
// release were running, with an empty command line.
func oracleHost(t *testing.T, root, release string) *Host {
	t.Helper()
	proc := t.TempDir()
	writeFile(t, filepath.Join(proc, "sys/kernel/osrelease"), release+"\n")
	writeFile(t, filepath.Join(proc, "cmdline"), "\n")
	return NewHost(Paths{Proc: proc, Sys: t.TempDir(), Root: root})
}

// configArgs gives kmod the same modprobe.d directories the model reads
// under root (or an empty one), so the host's own /etc never leaks in.
func configArgs(t *testing.T, root string) []string {
	var args []string
	for _, d := range ModprobeDirs {
		if fi, err := os.Stat(filepath.Join(root, d)); err == nil && fi.IsDir() {
			args = append(args, "-C", filepath.Join(root, d))
		}
	}
	if args == nil {
		args = []string{"-C", t.TempDir()}
	}
	return args
}

// parallel runs fn over items on a few workers.
func parallel(items []string, fn func(string)) {
	ch := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				fn(it)
			}
		}()
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

type modinfoBlock struct {
	filename, vermagic, depends, name string
	hasDepends                        bool
}

// oracleModinfo runs `modinfo -b root -k release` over names in batches and
// returns each module's fields, keyed by module name.
func oracleModinfo(t *testing.T, modinfo, root, release string, names []string) map[string]modinfoBlock {
	t.Helper()
	out := map[string]modinfoBlock{}
	for i := 0; i < len(names); i += 250 {
		batch := names[i:min(i+250, len(names))]
		cmd := exec.Command(modinfo, append([]string{"-b", root, "-k", release}, batch...)...)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		_ = cmd.Run() // exits 1 when a name is not found; those are simply absent
		var lines [][2]string
		for _, l := range strings.Split(stdout.String(), "\n") {
			if l == "" || l[0] == '\t' || l[0] == ' ' {
				continue // continuation of a signature
			}
			k, v, ok := strings.Cut(l, ":")
			if ok {
				lines = append(lines, [2]string{k, strings.TrimLeft(v, " ")})
			}
		}
		var cur *modinfoBlock
		flush := func() {
			if cur != nil && cur.name != "" {
				out[Normalize(cur.name)] = *cur
			}
		}
		for j, kv := range lines {
			builtinStart := kv[0] == "name" && j+1 < len(lines) && lines[j+1] == [2]string{"filename", "(builtin)"}
			moduleStart := kv[0] == "filename" && kv[1] != "(builtin)"
			if builtinStart || moduleStart {
				flush()
				cur = &modinfoBlock{}
				if moduleStart {
					cur.name = nameFromPath(kv[1])
				}
			}
			if cur == nil {
				continue
			}
			switch kv[0] {
			case "filename":
				cur.filename = kv[1]
			case "vermagic":
				cur.vermagic = kv[1]
			case "depends":
				cur.depends, cur.hasDepends = kv[1], true
			case "name":
				cur.name = kv[1]
			}
		}
		flush()
	}
	return out
}

func splitDepends(s string) []string {
	var out []string
	for _, d := range strings.Split(s, ",") {
		if d != "" {
			out = append(out, Normalize(d))
		}
	}
	return out
}

// oracleLoadOrder is `modprobe -D`: the modules modprobe would load, in order.
func oracleLoadOrder(modprobe string, cfg []string, root, release, name string) ([]string, error) {
	args := append([]string{"-D", "-d", root, "-S", release}, cfg...)
	out, err := exec.Command(modprobe, append(args, name)...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	var order []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 2 && f[0] == "insmod":
			order = append(order, nameFromPath(f[1]))
		case len(f) == 2 && f[0] == "builtin":
			order = append(order, Normalize(f[1]))
		default:
			return nil, fmt.Errorf("unexpected line %q", l)
		}
	}
	return order, nil
}

// concreteAlias turns an alias pattern into a string it matches.
func concreteAlias(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*':
		case '?':
			b.WriteByte('x')
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				b.WriteByte('[')
				continue
			}
			set := p[i+1 : i+end]
			if set != "" && set[0] != '!' && set[0] != '^' {
				b.WriteByte(set[0])
			} else {
				b.WriteByte('~')
			}
			i += end
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

func TestOracleCompressedModules(t *testing.T) {
	modinfo := testenv.Tool(t, "modinfo")
	trees, compressed := testenv.KernelTrees(t)
	entries, _ := os.ReadDir(filepath.Join(compressed, "lib/modules"))
	release := entries[0].Name()
	counts := map[string]int{}
	var gz []string
	err := filepath.Walk(filepath.Join(compressed, "lib/modules", release), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		for _, suf := range moduleSuffixes {
			if strings.HasSuffix(p, suf) {
				counts[suf]++
				if suf == ".ko.gz" {
					gz = append(gz, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if counts[".ko.xz"] == 0 || counts[".ko.zst"] == 0 || counts[".ko.gz"] == 0 {
		t.Fatalf("compressed tree lacks a format: %v", counts)
	}
	original := trees[release]
	var names []string
	for _, p := range gz {
		names = append(names, nameFromPath(p))
	}
	oracle := oracleModinfo(t, modinfo, original, release, names)
	for _, p := range gz {
		name := nameFromPath(p)
		mi, _, err := ReadModInfoFile(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		o := oracle[name]
		if mi.Vermagic != o.vermagic || !reflect.DeepEqual(mi.Depends, splitDepends(o.depends)) {
			t.Errorf("%s: exporter reads vermagic %q depends %v; modinfo of the original: %q %v", name, mi.Vermagic, mi.Depends, o.vermagic, splitDepends(o.depends))
		}
	}
	fmt.Printf("oracle: compressed tree: %d .ko.xz, %d .ko.zst, %d .ko.gz modules read alike\n", counts[".ko.xz"], counts[".ko.zst"], counts[".ko.gz"])
}

// TestOracleKernelConfigTable holds the module -> CONFIG symbol table to a
// real kernel: in Debian's 6.1 configuration, every module the table names
// that is in the tree must be "m", every built-in one "y", and every
// netfilter module of the tree must have an entry.
func TestOracleKernelConfigTable(t *testing.T) {
	trees, _ := testenv.KernelTrees(t)
	checked := 0
	for release, tree := range trees {
		s, err := readSnapshot(t, oracleHost(t, tree, release))
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, ok, err := s.view.readKernelConfig(release)
		if !ok || err != nil {
			t.Fatalf("%s: no /boot/config: %v", release, err)
		}
		for m, sym := range moduleSymbols {
			want := "n"
			if s.dep.Has(m) {
				want = "m"
			} else if s.builtin[m] {
				want = "y"
			}
			if got := cfg.Tristate(sym); got != want && !(want == "n" && got == "y") {
				t.Errorf("%s: %s is %q in %s's config, but the module is %q", m, sym, got, release, want)
			}
			checked++
		}
		for _, m := range s.dep.Names() {
			e, _ := s.dep.Entry(m)
			if strings.Contains(e.Path, "/netfilter/") && strings.Contains(e.Path, "kernel/net/") && !strings.Contains(e.Path, "/bridge/") {
				if _, ok := moduleSymbols[m]; !ok {
					t.Errorf("%s: netfilter module %s has no CONFIG symbol in the table", release, m)
				}
			}
		}
	}
	fmt.Printf("oracle: %d module/CONFIG pairs checked against Debian's kernel configurations\n", checked)
}
