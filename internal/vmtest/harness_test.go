package vmtest

import (
	"slices"
	"strings"
	"testing"
)

// harnessBoots boot each kernel with its own tree only.
func harnessBoots(ks []Kernel) []Spec {
	var specs []Spec
	for _, k := range ks {
		specs = append(specs, Spec{Name: k.Release + "/harness", Kernel: k, Layers: []Layer{RootLayer(), k.Tree()},
			Script: "uname -r > out/release\nmodprobe nf_conntrack && cut -d' ' -f1 /proc/modules | sort > out/modules\nexit 3\n"})
	}
	return specs
}

// checkHarness: the guest ran the script, loaded a module and handed files
// and the exit status back.
func checkHarness(t *testing.T, ks []Kernel, results map[string]*Result) {
	for _, k := range ks {
		r := results[k.Release+"/harness"]
		if r == nil {
			continue
		}
		if r.Exit != 3 {
			t.Errorf("%s: exit status %d, want 3; log:\n%s", k.Release, r.Exit, r.File("script.log"))
		}
		if got := strings.TrimSpace(r.File("release")); got != k.Release {
			t.Errorf("uname -r = %q, want %q", got, k.Release)
		}
		if mods := strings.Fields(r.File("modules")); !slices.Contains(mods, "nf_conntrack") || !slices.Contains(mods, "libcrc32c") {
			t.Errorf("%s: after modprobe nf_conntrack, /proc/modules has %q", k.Release, mods)
		}
	}
}
