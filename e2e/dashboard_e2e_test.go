package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/dashboards"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// instantQuery runs a PromQL query and returns the values of its series.
func instantQuery(promAddr, expr string) ([]float64, error) {
	resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status, Error string
		Data          struct {
			Result []struct {
				Value []any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	var values []float64
	for _, s := range r.Data.Result {
		v, _ := strconv.ParseFloat(s.Value[1].(string), 64)
		values = append(values, v)
	}
	return values, nil
}

// TestDashboardQueries sends every panel's queries, with the dashboard's
// variables set to the values of the scenario meant to show the panel, to a
// real Prometheus scraping every scenario. Each must be valid and return at
// least one series; panels that count a cause must count it.
func TestDashboardQueries(t *testing.T) {
	prometheus := testenv.Tool(t, "prometheus")
	// The Fleet row reads the recording rules.
	recording, err := filepath.Abs("alerts/kmod_exporter.recording.yml")
	must(t, err)
	promAddr, instances := prometheusOnScenarios(t, prometheus, t.TempDir(), recording, "")
	substitute := func(expr, scenario string) string {
		// As Grafana does: a regex-escaped value, its backslashes escaped
		// again for the PromQL string it lands in.
		instance := strings.ReplaceAll(regexp.QuoteMeta(instances[scenario]), `\`, `\\`)
		// $cluster is the variable's All: these series have no cluster
		// label, as on any single Prometheus.
		return strings.NewReplacer("$cluster", dashboards.ClusterAll, "$job", "kmod", "$instance", instance,
			"$module", ".*", "$__rate_interval", "5s").Replace(expr)
	}
	type check struct {
		panel, scenario, expr string
		positive              bool
	}
	var checks []check
	for _, row := range dashboards.Rows() {
		for _, p := range row.Panels {
			if _, ok := instances[p.Scenario]; !ok {
				t.Errorf("%s: scenario %q does not exist", p.Title, p.Scenario)
			}
			for i, tg := range p.Targets {
				checks = append(checks, check{p.Title, p.Scenario, substitute(tg.Expr, p.Scenario), p.Positive && i == 0})
			}
		}
	}
	var failures map[string]string
	deadline := time.Now().Add(45 * time.Second)
	for {
		failures = map[string]string{}
		for _, c := range checks {
			values, err := instantQuery(promAddr, c.expr)
			switch {
			case err != nil:
				failures[c.panel] = "invalid: " + err.Error()
			case len(values) == 0:
				failures[c.panel] = "no series on scenario " + c.scenario
			case c.positive && !anyPositive(values):
				failures[c.panel] = fmt.Sprintf("values %v on scenario %s, want one above 0", values, c.scenario)
			}
		}
		if len(failures) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	for panel, why := range failures {
		t.Errorf("panel %q: %s", panel, why)
	}
	t.Logf("%d queries of the dashboard checked against Prometheus", len(checks))
}

func anyPositive(values []float64) bool {
	for _, v := range values {
		if v > 0 {
			return true
		}
	}
	return false
}
