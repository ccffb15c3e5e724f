package testenv

import (
	"sort"
	"strings"
	"testing"
)

// Release is the release name of the unpacked Debian tree of a flavour
// ("amd64" or "cloud-amd64"): `make testdata` fetches whichever release
// Debian ships now, so benchmarks must not name one.
func Release(tb testing.TB, flavour string) string {
	tb.Helper()
	trees, _ := KernelTrees(tb)
	var names []string
	for r := range trees {
		if strings.HasSuffix(r, "-"+flavour) && (flavour == "cloud-amd64" || !strings.HasSuffix(r, "-cloud-amd64")) {
			names = append(names, r)
		}
	}
	if len(names) == 0 {
		Missing(tb, "the Debian "+flavour+" tree", "run `make testdata`")
	}
	sort.Strings(names)
	return names[len(names)-1]
}
