package mixin_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-jsonnet"
	"go.yaml.in/yaml/v3"

	"github.com/kmod-exporter/kmod_exporter/causes"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the mixin's copies of the shipped rules and dashboard")

// copies are the shipped files and the mixin's copies of them: a mixin
// installed by jsonnet-bundler has only its own directory, so it cannot
// import ../alerts.
var copies = []struct{ shipped, copy string }{
	{"../alerts/kmod_exporter.rules.yml", "alerts/kmod_exporter.rules.libsonnet"},
	{"../alerts/kmod_exporter.recording.yml", "rules/kmod_exporter.recording.libsonnet"},
	{"../dashboards/kmod_exporter.json", "dashboards/kmod_exporter.libsonnet"},
}

// parse reads a YAML or JSON file into plain JSON values (JSON round trip,
// so numbers compare as float64 whichever parser read them).
func parse(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return normalize(t, v)
}

func normalize(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCopiesInSync: the copies are the shipped files as JSON, and
// causes.libsonnet is what causes/ generates (`make mixin`).
func TestCopiesInSync(t *testing.T) {
	for _, c := range copies {
		var data bytes.Buffer
		enc := json.NewEncoder(&data)
		enc.SetEscapeHTML(false) // keep > and & of PromQL readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(parse(t, c.shipped)); err != nil {
			t.Fatal(err)
		}
		want := fmt.Appendf(nil, "// Generated from %s by `make mixin`; do not edit.\n%s", strings.TrimPrefix(c.shipped, "../"), data.Bytes())
		if *update {
			if err := os.WriteFile(c.copy, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(c.copy)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s drifted from %s: run `make mixin`", c.copy, c.shipped)
		}
	}
	// The settings' defaults and edits, from the one list of causes.
	const generated = "causes.libsonnet"
	want := causes.MixinLibsonnet()
	if *update {
		if err := os.WriteFile(generated, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(generated); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s drifted from causes/ (%v): run `make mixin`", generated, err)
	}
}

// rendered is what the mixin produces with config overridden by a jsonnet
// object (the _config fields to change).
type rendered struct {
	Alerts, Rules, Dashboard any
}

func render(t *testing.T, config string) rendered {
	t.Helper()
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{"."}})
	out, err := vm.EvaluateAnonymousSnippet("render.jsonnet", `
		local m = (import 'mixin.libsonnet') + { _config+:: `+config+` };
		{ alerts: m.prometheusAlerts, rules: m.prometheusRules, dashboard: m.grafanaDashboards['kmod_exporter.json'] }`)
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Alerts, Rules, Dashboard any }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return rendered(r)
}

func shipped(t *testing.T) rendered {
	return rendered{
		Alerts:    parse(t, "../alerts/kmod_exporter.rules.yml"),
		Rules:     parse(t, "../alerts/kmod_exporter.recording.yml"),
		Dashboard: parse(t, "../dashboards/kmod_exporter.json"),
	}
}

func compare(t *testing.T, got, want rendered) {
	t.Helper()
	for _, c := range []struct {
		what      string
		got, want any
	}{{"alerts", got.Alerts, want.Alerts}, {"recording rules", got.Rules, want.Rules}, {"dashboard", got.Dashboard, want.Dashboard}} {
		if !reflect.DeepEqual(c.got, c.want) {
			g, _ := json.MarshalIndent(c.got, "", " ")
			w, _ := json.MarshalIndent(c.want, "", " ")
			t.Errorf("%s differ:\n%s", c.what, firstDiff(string(g), string(w)))
		}
	}
}

// firstDiff shows the first line where two renderings differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d: got  %s\n         want %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// TestDefaultIsShipped: with its default config the mixin renders exactly
// the shipped alerts, recording rules and dashboard.
func TestDefaultIsShipped(t *testing.T) {
	compare(t, render(t, "{}"), shipped(t))
}

// rule returns the shipped rule named alert, to edit into what a config
// should render.
func rule(t *testing.T, doc any, alert string) map[string]any {
	t.Helper()
	for _, g := range doc.(map[string]any)["groups"].([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			if r := r.(map[string]any); r["alert"] == alert {
				return r
			}
		}
	}
	t.Fatalf("no alert %s", alert)
	return nil
}

// TestConfig: each setting changes what it names and nothing else. The
// expected output is the shipped files edited here by hand.
func TestConfig(t *testing.T) {
	got := render(t, `{
		kmodExporterSelector: 'job="kmod-exporter"',
		runbookURLBase: 'https://wiki.example.com/kmod/',
		conntrackFullPercent: 95,
		memoryPressureFullPercent: 20,
		memoryAvailablePercent: 2,
		textfileStaleSeconds: 600,
		'for'+: { KmodExporterDown: '15m', KmodModuleNotLoaded: '5m' },
		severity+: { KmodExporterDown: 'critical' },
	}`)
	want := shipped(t)

	down := rule(t, want.Alerts, "KmodExporterDown")
	if down["expr"] != `up{job=~".*kmod.*"} == 0` || down["for"] != "10m" || down["labels"].(map[string]any)["severity"] != "warning" {
		t.Fatalf("shipped KmodExporterDown changed: %v", down)
	}
	down["expr"] = `up{job="kmod-exporter"} == 0`
	down["for"] = "15m"
	down["labels"].(map[string]any)["severity"] = "critical"
	rule(t, want.Alerts, "KmodModuleNotLoaded")["for"] = "5m"

	conntrack := rule(t, want.Alerts, "KmodConntrackTableNearFull")
	conntrack["expr"] = "kmod_conntrack_entries / kmod_conntrack_entries_limit > 0.95"
	conntrack["annotations"].(map[string]any)["summary"] = "The connection tracking table is over 95% full; new connections will be dropped."

	psi := rule(t, want.Alerts, "KmodModuleNotLoadedMemoryPressure")
	psi["expr"] = strings.NewReplacer("> 0.1", "> 0.2", "< 0.05", "< 0.02").Replace(psi["expr"].(string))
	ann := psi["annotations"].(map[string]any)
	ann["description"] = strings.NewReplacer("over 10%", "over 20%", "under 5%", "under 2%").Replace(ann["description"].(string))

	stale := rule(t, want.Alerts, "KmodTextfileStale")
	stale["expr"] = `time() - node_textfile_mtime_seconds{file=~"(.*/)?kmod\\.prom"} > 600`

	const base = "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/"
	for _, g := range want.Alerts.(map[string]any)["groups"].([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			a := r.(map[string]any)["annotations"].(map[string]any)
			a["runbook_url"] = strings.Replace(a["runbook_url"].(string), base, "https://wiki.example.com/kmod/", 1)
		}
	}
	// The dashboard's runbook link and the table's links to each cause.
	dash, err := json.Marshal(want.Dashboard)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(dash, []byte(base)); n < 2 {
		t.Fatalf("the shipped dashboard links %d times to the runbooks", n)
	}
	want.Dashboard = normalize(t, json.RawMessage(bytes.ReplaceAll(dash, []byte(base), []byte("https://wiki.example.com/kmod/"))))

	compare(t, got, want)

	// What the overrides render is still a valid rules file.
	data, err := yaml.Marshal(got.Alerts)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(testenv.Tool(t, "promtool"), "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}

// TestStaleText: a shipped file that no longer contains what a setting
// replaces makes the render fail rather than silently ignore the setting.
func TestStaleText(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"mixin.libsonnet", "config.libsonnet", "lib.libsonnet", "causes.libsonnet", "alerts/alerts.libsonnet", "alerts/kmod_exporter.rules.libsonnet",
		"rules/rules.libsonnet", "rules/kmod_exporter.recording.libsonnet", "dashboards/dashboards.libsonnet", "dashboards/kmod_exporter.libsonnet"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if f == "alerts/kmod_exporter.rules.libsonnet" {
			data = bytes.Replace(data, []byte(`limit > 0.9`), []byte(`limit > 0.8`), 1)
			if !bytes.Contains(data, []byte(`limit > 0.8`)) {
				t.Fatal("the copy does not hold the conntrack threshold as expected")
			}
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A file in dir, so that its imports resolve there and not in ".".
	render := filepath.Join(dir, "render.jsonnet")
	if err := os.WriteFile(render, []byte(`(import 'mixin.libsonnet').prometheusAlerts`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := jsonnet.MakeVM().EvaluateFile(render)
	if err == nil || !strings.Contains(err.Error(), "KmodConntrackTableNearFull") || !strings.Contains(err.Error(), "> 0.9") {
		t.Errorf("render of a changed threshold: %v, want an error naming the alert and the text\n%.300s", err, out)
	}
}

// TestVendoredWithJsonnet: installed the way jsonnet-bundler installs it
// (the mixin directory alone under vendor/), the C++ jsonnet of Debian
// renders the shipped files too.
func TestVendoredWithJsonnet(t *testing.T) {
	bin := testenv.Tool(t, "jsonnet")
	vendor := filepath.Join(t.TempDir(), "vendor")
	files, err := filepath.Glob("*.libsonnet")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("*/*.libsonnet")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(vendor, "kmod_exporter-mixin", f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(bin, "-J", vendor, "-e", `local m = import 'kmod_exporter-mixin/mixin.libsonnet';
		{ alerts: m.prometheusAlerts, rules: m.prometheusRules, dashboard: m.grafanaDashboards['kmod_exporter.json'] }`).Output()
	if err != nil {
		var stderr []byte
		if e, ok := err.(*exec.ExitError); ok {
			stderr = e.Stderr
		}
		t.Fatalf("jsonnet: %v\n%s", err, stderr)
	}
	var r struct{ Alerts, Rules, Dashboard any }
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	compare(t, rendered(r), shipped(t))
}
