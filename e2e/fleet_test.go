package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/fixtures"
)

// sizing is what the fixture scenarios measure: series a host exports
// besides its modules, and series per required module.
type sizing struct {
	baseMin, baseMax         int
	perModuleMin, perModMax  float64
	runtime, prometheusExtra int
}

var moduleSeries = regexp.MustCompile(`^kmod_[a-z_]+\{[^}]*\bmodule="`)

func measureSizing(t *testing.T) sizing {
	t.Helper()
	s := sizing{baseMin: 1 << 30, perModuleMin: 1e9, prometheusExtra: 5} // up, scrape_duration_seconds, scrape_samples_scraped, scrape_samples_post_metric_relabeling, scrape_series_added
	for _, name := range fixtures.Names() {
		data, err := os.ReadFile(filepath.Join("fixtures", name, "metrics.prom"))
		must(t, err)
		base, perModule, collectors := 0, 0, 0
		required := map[string]bool{}
		for _, line := range strings.Split(string(data), "\n") {
			switch {
			case !strings.HasPrefix(line, "kmod_"):
				continue
			case moduleSeries.MatchString(line):
				perModule++
				if strings.HasPrefix(line, "kmod_module_required{") {
					required[regexp.MustCompile(`module="([^"]*)"`).FindStringSubmatch(line)[1]] = true
				}
			default:
				base++
			}
			if strings.HasPrefix(line, "kmod_scrape_collector_success{") {
				collectors++
			}
		}
		// The golden files leave out the volatile series: a duration per
		// collector, the build info and the reload timestamp.
		base += collectors + 2
		if len(required) < 5 {
			continue // the scenarios without module support say little per module
		}
		per := float64(perModule) / float64(len(required))
		s.baseMin, s.baseMax = min(s.baseMin, base), max(s.baseMax, base)
		s.perModuleMin, s.perModMax = min(s.perModuleMin, per), max(s.perModMax, per)
	}
	e := startExporter(t, scenarioArgs("healthy")[:3]...)
	for _, line := range strings.Split(e.scrape(t), "\n") {
		if strings.HasPrefix(line, "go_") || strings.HasPrefix(line, "process_") {
			s.runtime++
		}
	}
	return s
}

// thousands formats n as 12,345.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestSizingTable recomputes docs/deploy.md's sizing table from the
// fixture scenarios and a live scrape, so the documented numbers are the
// measured ones.
func TestSizingTable(t *testing.T) {
	s := measureSizing(t)
	doc, err := os.ReadFile("docs/deploy.md")
	must(t, err)
	want := []string{
		fmt.Sprintf("| `kmod_*` series of the host itself (kernel, memory, conntrack, x_tables, rulesets, requirement sources, exporter) | %d–%d |", s.baseMin, s.baseMax),
		fmt.Sprintf("| `kmod_*` series per required module | %.1f–%.1f |", s.perModuleMin, s.perModMax),
		fmt.Sprintf("| `go_*` and `process_*` (off with `--web.disable-exporter-metrics`) | %d |", s.runtime),
	}
	for _, modules := range []int{9, 50} {
		perHost := s.baseMax + int(s.perModMax*float64(modules)+0.5) + s.runtime + s.prometheusExtra
		row := fmt.Sprintf("| %d | %s | %s | %s | %s | %s |", modules, thousands(perHost),
			thousands(perHost*1000), thousands(perHost*1000/30), thousands(perHost*10000), thousands(perHost*10000/30))
		want = append(want, row)
	}
	for _, w := range want {
		if !strings.Contains(string(doc), w) {
			t.Errorf("docs/deploy.md lacks the measured row:\n%s", w)
		}
	}
}
