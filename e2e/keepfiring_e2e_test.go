package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// TestCollectorFailureKeepsPages breaks, under a real Prometheus with the
// shipped rules ("for:" set to 0s), the exporter of a host whose
// blacklisted module pages: first its modules collector fails, which pages
// too; then the exporter stops and every series of the host vanishes. The
// module's page stays throughout. (That a fix the exporter sees resolves
// it at once is in alerts/kmod_exporter.tests.yml.)
func TestCollectorFailureKeepsPages(t *testing.T) {
	prometheus := testenv.Tool(t, "prometheus")
	dir := t.TempDir()
	host := testenv.CopyTree(t, filepath.Join("fixtures", "blacklisted"))
	rules, err := os.ReadFile("alerts/kmod_exporter.rules.yml")
	must(t, err)
	rulesFile := filepath.Join(dir, "rules.yml")
	must(t, os.WriteFile(rulesFile, forClause.ReplaceAll(rules, []byte("${1}for: 0s")), 0o644))
	e := startExporter(t, "--path.procfs="+filepath.Join(host, "proc"), "--path.sysfs="+filepath.Join(host, "sys"),
		"--path.rootfs="+filepath.Join(host, "root"), "--web.disable-exporter-metrics")
	config := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [%q]\nscrape_configs:\n  - job_name: kmod\n    static_configs:\n      - targets: [%q]\n", rulesFile, e.addr)
	must(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644))
	prom := startServer(t, "prometheus", prometheus, func(addr string) []string {
		return []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + filepath.Join(dir, "prom"), "--web.listen-address=" + addr, "--log.level=warn"}
	})
	count := func(expr string) int {
		v, err := instantQuery(prom, expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return len(v)
	}
	waitFor := func(what, expr string, want int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for count(expr) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s has %d series, want %d", what, expr, count(expr), want)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	blacklisted := `ALERTS{alertname="KmodModuleBlacklisted",alertstate="firing",module="nf_conntrack"}`
	waitFor("before the failure", blacklisted, 1)

	// /proc/modules becomes unreadable (a directory): the modules collector
	// fails, which pages, and what it still reads keeps the page.
	modules := filepath.Join(host, "proc", "modules")
	saved, err := os.ReadFile(modules)
	must(t, err)
	must(t, os.Remove(modules))
	must(t, os.Mkdir(modules, 0o755))
	waitFor("the collector failing", `kmod_scrape_collector_success{collector="modules"} == 0`, 1)
	waitFor("the failure paging", `ALERTS{alertname="KmodExporterModulesCollectorFailed",alertstate="firing"}`, 1)
	if n := count(blacklisted); n != 1 {
		t.Errorf("the blacklisted module's page resolved when its collector failed (%d series)", n)
	}
	must(t, os.Remove(modules))
	must(t, os.WriteFile(modules, saved, 0o644))
	waitFor("the collector reading again", `ALERTS{alertname="KmodExporterModulesCollectorFailed"}`, 0)

	// The exporter stops: every series of the host goes stale, and the
	// page stays (ExporterDown says why nothing is scraped).
	must(t, e.cmd.Process.Kill())
	waitFor("the module's series gone", `kmod_module_blacklisted`, 0)
	waitFor("the exporter down", `ALERTS{alertname="KmodExporterDown",alertstate="firing"}`, 1)
	time.Sleep(5 * time.Second) // several evaluations without the series
	if n := count(blacklisted); n != 1 {
		t.Errorf("the blacklisted module's page resolved when the exporter stopped (%d series)", n)
	}
}
