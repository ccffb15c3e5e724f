package vmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

var forClause = regexp.MustCompile(`(?m)^(\s+)for: \S+$`)

// firingAlerts serves each target's scraped text to a real Prometheus
// running the shipped rules (every for: set to 0s; promtool's tests check
// the durations) and returns, per target, the firing alerts as
// "Alertname key=value ..." over the identifying labels.
func firingAlerts(t *testing.T, targets map[string]string) map[string][]string {
	t.Helper()
	prom := testenv.Tool(t, "prometheus")
	dir := t.TempDir()
	rules, err := os.ReadFile(filepath.Join(testenv.RepoDir(), "alerts", "kmod_exporter.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(rulesFile, forClause.ReplaceAll(rules, []byte("${1}for: 0s")), 0o644); err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	var static strings.Builder
	i := 0
	for name, body := range targets {
		p := fmt.Sprintf("/t%d", i)
		i++
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			w.Write([]byte(body))
		})
		fmt.Fprintf(&static, "  - job_name: %q\n    metrics_path: %q\n    static_configs:\n      - targets: [%q]\n        labels: {target: %q}\n", "kmod"+p, p, "ADDR", name)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	config := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" +
		fmt.Sprintf("rule_files: [%q]\n", rulesFile) +
		"scrape_configs:\n" + strings.ReplaceAll(static.String(), "ADDR", l.Addr().String())
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pl.Addr().String()
	pl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, prom, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })

	// Every target scraped, then three more evaluations.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var up struct {
			Data struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		if err := getJSON("http://"+addr+"/api/v1/query?query=up%3D%3D1", &up); err == nil && len(up.Data.Result) == len(targets) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus did not scrape every target within a minute; log:\n%s", logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(4 * time.Second)
	var alerts struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := getJSON("http://"+addr+"/api/v1/alerts", &alerts); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, a := range alerts.Data.Alerts {
		if a.State == "firing" {
			out[a.Labels["target"]] = append(out[a.Labels["target"]], id(a.Labels["alertname"], a.Labels))
		}
	}
	for k := range out {
		out[k] = testenv.Sorted(out[k])
	}
	return out
}

func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
