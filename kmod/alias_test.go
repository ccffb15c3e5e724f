package kmod

import (
	"reflect"
	"strings"
	"testing"
)

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

func FuzzFnmatch(f *testing.F) {
	f.Add("a*[b-c]?\\d", "abxcd")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		// A pattern without metacharacters matches exactly itself.
		if !strings.ContainsAny(pattern, "*?[\\") && fnmatch(pattern, name) != (pattern == name) {
			t.Fatalf("literal %q vs %q", pattern, name)
		}
	})
}
