package kmod

import (
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
