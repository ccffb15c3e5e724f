package kmod

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseModulesDep(t *testing.T) {
	in := "kernel/net/netfilter/xt_set.ko.xz: kernel/net/netfilter/ipset/ip_set.ko.xz kernel/net/netfilter/nfnetlink.ko.xz\n" +
		"kernel/lib/libcrc32c.ko:\n" +
		"/opt/extra/my-mod.ko: kernel/lib/libcrc32c.ko\n" +
		"# comment\n" +
		"kernel/lib/libcrc32c.ko: kernel/other.ko\n" +
		"no colon here\n"
	got, err := ParseModulesDep([]byte(in))
	if err == nil || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("want an error naming line 6, got %v", err)
	}
	want := map[string]DepEntry{
		"xt_set":    {Path: "kernel/net/netfilter/xt_set.ko.xz", Deps: []string{"ip_set", "nfnetlink"}},
		"libcrc32c": {Path: "kernel/lib/libcrc32c.ko"},
		"my_mod":    {Path: "/opt/extra/my-mod.ko", Deps: []string{"libcrc32c"}},
	}
	entries := map[string]DepEntry{}
	for _, n := range got.Names() {
		entries[n], _ = got.Entry(n)
	}
	if !reflect.DeepEqual(entries, want) || got.Len() != 3 {
		t.Errorf("got %+v (%d)\nwant %+v", entries, got.Len(), want)
	}
	// Dependencies without a line of their own are names, not modules.
	if got.Has("ip_set") || got.Has("nfnetlink") || !got.Has("xt_set") {
		t.Error("Has answers for names without a line")
	}
}

// modulesDepReference is modules.dep parsed the plain way (a map of entries
// with their own strings), to check the compact form against.
func modulesDepReference(data []byte) map[string]DepEntry {
	dep := map[string]DepEntry{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		p, rest, ok := strings.Cut(line, ":")
		if !ok || p == "" {
			continue
		}
		p = strings.TrimSpace(p)
		name := nameFromPath(p)
		if _, seen := dep[name]; seen || name == "" {
			continue
		}
		e := DepEntry{Path: p}
		for _, d := range strings.Fields(rest) {
			e.Deps = append(e.Deps, nameFromPath(d))
		}
		dep[name] = e
	}
	return dep
}

func FuzzModulesDep(f *testing.F) {
	f.Add([]byte("kernel/a.ko: kernel/b.ko kernel/c-d.ko\nkernel/b.ko:\nkernel/a.ko: x.ko\n/abs/e.ko.xz: kernel/a.ko\n"), "a")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		got, _ := ParseModulesDep(data)
		want := modulesDepReference(data)
		if got.Len() != len(want) {
			t.Fatalf("%d modules, want %d", got.Len(), len(want))
		}
		for _, n := range got.Names() {
			e, ok := got.Entry(n)
			if w, in := want[n]; !ok || !in || !reflect.DeepEqual(e, w) {
				t.Fatalf("%q: %+v, want %+v", n, e, w)
			}
		}
		if _, in := want[name]; got.Has(name) != in {
			t.Fatalf("Has(%q) = %v", name, got.Has(name))
		}
	})
}
