package kmod

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeAndValidate(t *testing.T) {
	for in, want := range map[string]string{
		"nf-conntrack": "nf_conntrack", "a-b[c-d]-e": "a_b[c-d]_e", "x[-": "x[-", "plain": "plain", "": "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	for _, ok := range []string{"nf_conntrack", "xt-recent", "A9", strings.Repeat("a", MaxNameLen)} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../etc/passwd", "a/b", "a b", "nul\x00", "dot.ko", strings.Repeat("a", MaxNameLen+1)} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("ValidateName(%q) accepted it", bad)
		}
	}
	if got := nameFromPath("kernel/net/netfilter/nf-conntrack.ko.xz"); got != "nf_conntrack" {
		t.Errorf("nameFromPath: %q", got)
	}
}

func TestParseProcModules(t *testing.T) {
	in := "xt_state 16384 2 - Live 0xffffffffc0a1b000\n" +
		"nf_conntrack 176128 3 xt_state,xt_conntrack, Live 0x0000000000000000 (E)\n" +
		"going 100 0 - Unloading 0x0\n" +
		"permanent 100 - - Live 0x0\n" +
		"\n" +
		"broken line\n" +
		"bad 1 2 - Weird 0x0\n"
	got, err := ParseProcModules([]byte(in))
	if err == nil || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("want an error naming line 6, got %v", err)
	}
	want := map[string]LoadedModule{
		"xt_state":     {Name: "xt_state", Size: 16384, RefCount: 2, State: "Live"},
		"nf_conntrack": {Name: "nf_conntrack", Size: 176128, RefCount: 3, State: "Live"},
		"going":        {Name: "going", Size: 100, RefCount: 0, State: "Unloading"},
		"permanent":    {Name: "permanent", Size: 100, RefCount: -1, State: "Live"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

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

func TestParseModulesBuiltin(t *testing.T) {
	got := ParseModulesBuiltin([]byte("kernel/fs/ext4/ext4.ko\n\nkernel/drivers/char/hw-random/rng-core.ko\n# x\n"))
	if !reflect.DeepEqual(got, map[string]bool{"ext4": true, "rng_core": true}) {
		t.Errorf("got %v", got)
	}
	aliases := ParseBuiltinModinfo([]byte("ext4.alias=fs-ext4\x00ext4.license=GPL\x00noalias\x00.alias=x\x00unix.alias=net-pf-1\x00"))
	want := []Alias{{"fs_ext4", "ext4"}, {"net_pf_1", "unix"}}
	if !reflect.DeepEqual(aliases, want) {
		t.Errorf("builtin aliases: got %v want %v", aliases, want)
	}
}

func TestAliases(t *testing.T) {
	got, err := ParseModulesAlias([]byte("# Aliases\nalias ipt_recent xt_recent\nalias net-pf-16-proto-12 nfnetlink\nalias pci:v00008086d*sv*sd*bc*sc*i* e1000e\nbogus\n"))
	if err == nil || !strings.Contains(err.Error(), "line 5") {
		t.Errorf("want error for line 5, got %v", err)
	}
	for name, want := range map[string][]string{
		"ipt_recent":         {"xt_recent"},
		"net_pf_16_proto_12": {"nfnetlink"},
		"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00": {"e1000e"},
		"ipt_nothing": nil,
	} {
		if m := matchAliases(got, name); !reflect.DeepEqual(m, want) {
			t.Errorf("%s: got %v want %v", name, m, want)
		}
	}
}

// Cases follow fnmatch(3) with flags 0 as glibc implements it.
func TestFnmatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"abc", "abc", true}, {"abc", "abd", false}, {"a*c", "abbbc", true}, {"a*c", "ab/c", true},
		{"*", "", true}, {"?", "", false}, {"a?c", "abc", true}, {"[a-c]x", "bx", true}, {"[!a-c]x", "bx", false},
		{"[^a-c]x", "dx", true}, {"[]]", "]", true}, {"[a-]", "-", true}, {"\\*", "*", true}, {"\\*", "a", false},
		{"[abc", "[abc", true}, {"*.ko", ".ko", true}, {"usb:v*p*d*", "usb:v1p2d3", true}, {"a*b*c", "acb", false},
		{"*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
	} {
		if got := fnmatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestParseModulesLoad(t *testing.T) {
	got := ParseModulesLoad([]byte("# c\n; c\n  xt_recent  \n\nfoo bar\n"), "/etc/modules-load.d/x.conf")
	want := []BootEntry{{"xt_recent", "/etc/modules-load.d/x.conf", 3}, {"foo bar", "/etc/modules-load.d/x.conf", 5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	got = ParseEtcModules([]byte("# /etc/modules\nloop max_loop=8\n#lp\n\tvfio\n"), "/etc/modules")
	want = []BootEntry{{"loop", "/etc/modules", 2}, {"vfio", "/etc/modules", 4}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("etc/modules: got %v", got)
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(DefaultConfigYAML)
	if err != nil || !reflect.DeepEqual(c.Modules, []string{"nf_conntrack"}) || !c.IncludeLoadOnBoot {
		t.Errorf("embedded default: %+v %v", c, err)
	}
	for _, bad := range []string{"modules: [../x]", "modulez: [a]", "modules: a", "\x00\x01", "modules: [\"a/b\"]"} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%q) accepted it", bad)
		}
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte("nf_conntrack 176128 3 xt_state, Live 0x0\n"))
	f.Add([]byte("kernel/a.ko: kernel/b.ko\nalias x[ y\n"))
	f.Add([]byte("ext4.alias=fs-ext4\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseProcModules(data)
		ParseModulesDep(data)
		ParseModulesBuiltin(data)
		aliases, _ := ParseModulesAlias(data)
		matchAliases(aliases, "ipt_recent")
		ParseBuiltinModinfo(data)
		ParseModulesLoad(data, "f")
		ParseEtcModules(data, "f")
		ParseConfig(data)
		parseModInfoData(data)
	})
}

func FuzzFnmatch(f *testing.F) {
	f.Add("a*[b-c]?\\d", "abxcd")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		// A pattern without metacharacters matches exactly itself.
		if !strings.ContainsAny(pattern, "*?[\\") && fnmatch(pattern, name) != (pattern == name) {
			t.Fatalf("literal %q vs %q", pattern, name)
		}
	})
}

// The index must answer exactly what trying every pattern in file order
// answers, repeats included, whatever the patterns and the name.
func FuzzAliasIndex(f *testing.F) {
	f.Add([]byte("alias ipt_recent xt_recent\nalias ipt_* a\nalias *recent b\nalias ipt_recent c\nalias i[pq]t_r* d\n"), "ipt_recent")
	f.Add([]byte("alias a\\* x\nalias a? y\nalias ab z\n"), "ab")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		aliases, _ := ParseModulesAlias(data)
		x := NewAliasIndex(aliases)
		if got, want := x.match(name), matchAliases(aliases, name); !slices.Equal(got, want) {
			t.Fatalf("index %q, every pattern %q", got, want)
		}
		for i, a := range aliases {
			if x.at(i) != a {
				t.Fatalf("alias %d: %v, want %v", i, x.at(i), a)
			}
		}
	})
}

func TestAliasIndexMatchesEveryPattern(t *testing.T) {
	data := "alias ipt_recent xt_recent\nalias ipt_* catchall\nalias *recent suffix\nalias ipt_recent again\n" +
		"alias i[pq]t_r* bracket\nalias pci:v00008086d*sv*sd*bc*sc*i* e1000e\nalias net-pf-16-proto-12 nfnetlink\n"
	aliases, err := ParseModulesAlias([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	x := NewAliasIndex(aliases)
	for name, want := range map[string][]string{
		// File order, the repeat of xt_recent's line kept as kmod keeps it.
		"ipt_recent":         {"xt_recent", "catchall", "suffix", "again", "bracket"},
		"iqt_rx":             {"bracket"},
		"ipt_x":              {"catchall"},
		"net_pf_16_proto_12": {"nfnetlink"},
		"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00": {"e1000e"},
		"nothing": nil,
	} {
		if got := x.match(name); !slices.Equal(got, want) {
			t.Errorf("%s: got %q want %q", name, got, want)
		}
		if got := matchAliases(aliases, name); !slices.Equal(got, want) {
			t.Errorf("%s by every pattern: got %q want %q", name, got, want)
		}
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
