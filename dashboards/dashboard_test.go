package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite kmod_exporter.json from dashboard.go")

const file = "kmod_exporter.json"

// TestGenerated keeps the checked-in JSON equal to what dashboard.go builds.
func TestGenerated(t *testing.T) {
	got, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from dashboard.go: run `make dashboards`", file)
	}
}

// TestStructure checks what Grafana and the users rely on.
func TestStructure(t *testing.T) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID, Title string
		Templating struct {
			List []struct{ Name, Type string }
		}
		Annotations struct{ List []map[string]any }
		Panels      []map[string]any
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("not valid JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("uid and title must be set")
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	for name, typ := range map[string]string{"datasource": "datasource", "cluster": "query", "job": "query", "instance": "query", "module": "query"} {
		if vars[name] != typ {
			t.Errorf("variable %s: type %q, want %q", name, vars[name], typ)
		}
	}
	if len(d.Annotations.List) == 0 || !strings.Contains(d.Annotations.List[0]["expr"].(string), "kmod_module_loaded") {
		t.Error("no annotation for module loaded/unloaded transitions")
	}
	ids := map[float64]bool{}
	panels := 0
	for _, p := range d.Panels {
		id := p["id"].(float64)
		if ids[id] {
			t.Errorf("duplicate panel id %v", id)
		}
		ids[id] = true
		if p["type"] == "row" {
			continue
		}
		panels++
		title := p["title"].(string)
		ds, _ := p["datasource"].(map[string]any)
		if ds["uid"] != "${datasource}" || ds["type"] != "prometheus" {
			t.Errorf("%s: datasource %v, want the variable", title, ds)
		}
		if p["description"] == "" {
			t.Errorf("%s: no description", title)
		}
		unit, _ := p["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["unit"].(string)
		if unit == "" {
			t.Errorf("%s: no unit", title)
		}
		targets, _ := p["targets"].([]any)
		if len(targets) == 0 {
			t.Errorf("%s: no query", title)
		}
		for _, tg := range targets {
			tm := tg.(map[string]any)
			expr := tm["expr"].(string)
			for _, v := range []string{"$cluster", "$job", "$instance"} {
				if !strings.Contains(expr, v) {
					t.Errorf("%s: query does not filter on %s: %s", title, v, expr)
				}
			}
			if strings.Contains(expr, "kmod_module_") && !strings.Contains(expr, "$module") {
				t.Errorf("%s: per-module query does not filter on $module", title)
			}
			if tds, _ := tm["datasource"].(map[string]any); tds["uid"] != "${datasource}" {
				t.Errorf("%s: target datasource %v", title, tds)
			}
		}
	}
	if panels < 15 {
		t.Errorf("only %d panels", panels)
	}
}
