// Package dashboards builds the Grafana dashboard for kmod_exporter. The
// JSON in kmod_exporter.json is generated from this file (`make dashboards`)
// and a test keeps the two equal, so the dashboard has one source.
package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/kmod-exporter/kmod_exporter/causes"
)

// Selectors every query uses, so the cluster, job, instance and module
// variables apply to every panel. The cluster label exists where several
// Prometheus servers are queried together (Thanos, Mimir: an external
// label); on one Prometheus it is absent and clusterAll matches that.
const (
	host   = `cluster=~"$cluster",job=~"$job",instance=~"$instance"`
	module = host + `,module=~"$module"`
	// ClusterAll is the cluster variable's All: .* rather than .+, because
	// on a single Prometheus the series have no cluster label, which .+
	// would not match.
	ClusterAll = ".*"
	// RunbookBase is where the alert runbooks live; the fleet table links
	// each unhealthy module to its cause's runbook.
	RunbookBase = causes.RunbookBase
)

func sel(metric, selector string) string { return metric + "{" + selector + "}" }

// required limits a per-module expression to required modules.
func required(expr string) string {
	return "(" + expr + ") and on (cluster, job, instance, module) " + sel("kmod_module_required", module)
}

// Target is one query of a panel.
type Target struct {
	Expr    string
	Legend  string
	Table   bool // instant, table format
	Instant bool
}

// Panel is one panel and the fixture scenario meant to show it: tests run
// its queries against that scenario and require data (and, for Positive
// panels, a value above zero).
type Panel struct {
	Title, Description, Type, Unit string
	Scenario                       string
	Positive                       bool
	Targets                        []Target
	W, H                           int
	extra                          func(p map[string]any)
}

// The recording rules of the fleet views (causes/ writes them). The Fleet
// row reads the first, which has series only for unhealthy modules, rather
// than every module series of the fleet; the second is for views across
// clusters (Thanos, Mimir), where no single host is selected.
const (
	// UnhealthyRecord is one series per host, required module and cause.
	UnhealthyRecord = causes.UnhealthyRecord
	// HostsRecord counts hosts per cause and cluster.
	HostsRecord = causes.HostsRecord
)

// checks are the columns of the host's module table.
var checks = []struct{ metric, column string }{
	{"kmod_module_loaded", "Loaded"},
	{"kmod_module_builtin", "Built in"},
	{"kmod_module_blacklisted", "Blacklisted"},
	{"kmod_module_disabled", "Disabled"},
	{"kmod_module_present_on_disk", "On disk"},
	{"kmod_module_release_match", "Release match"},
	{"kmod_module_dependencies_satisfied", "Dependencies"},
	{"kmod_module_load_on_boot", "Load on boot"},
}

// Rows returns the dashboard's rows and their panels.
func Rows() []struct {
	Title  string
	Panels []Panel
} {
	fleet := []Panel{}
	for _, c := range causes.Fleet {
		fleet = append(fleet, Panel{
			Title:       c.Title,
			Description: fmt.Sprintf("Counts the hosts with at least one required module that %s, from the recording rule %s (%s has the same count per cluster). The runbook is %s%s.md.", c.Says, UnhealthyRecord, HostsRecord, RunbookBase, c.Alert),
			Type:        "stat", Unit: "none", Scenario: c.Scenario, Positive: true, W: 4, H: 4,
			Targets: []Target{{Expr: fmt.Sprintf("count(group by (cluster, instance) (%s)) or vector(0)", sel(UnhealthyRecord, module+fmt.Sprintf(",cause=%q", c.Label))), Legend: "hosts", Instant: true}},
		})
	}
	fleet = append(fleet, Panel{
		Title:       "Unhealthy required modules",
		Description: "Lists every required module with a documented cause, one row per host, module and cause, from the recording rule " + UnhealthyRecord + ". The cause links to its runbook.",
		Type:        "table", Unit: "none", Scenario: "blacklisted", W: 24, H: 8,
		Targets: []Target{{Expr: "max by (instance, module, cause, runbook) (" + sel(UnhealthyRecord, module) + ")", Table: true}},
		extra:   unhealthyTable,
	})

	hostPanels := []Panel{}
	var checkTargets []Target
	for _, c := range checks {
		checkTargets = append(checkTargets, Target{Expr: "max by (instance, module) (" + required(sel(c.metric, module)) + ")", Table: true})
	}
	hostPanels = append(hostPanels,
		Panel{Title: "Required modules", Description: "Checks each required module, one column per check: green passes, red is a cause to fix, and built-in modules show as built in.",
			Type: "table", Unit: "none", Scenario: "healthy", W: 24, H: 8, Targets: checkTargets, extra: checksTable},
		Panel{Title: "Module loaded", Description: "Shows whether each required module was loaded over time: Live in /proc/modules, or built into the kernel.",
			Type: "state-timeline", Unit: "none", Scenario: "healthy", W: 24, H: 6,
			Targets: []Target{{Expr: "max by (instance, module) (" + required(sel("kmod_module_loaded", module)) + ")", Legend: "{{instance}} {{module}}"}},
			extra:   loadedTimeline},
		Panel{Title: "Memory pressure (PSI)", Description: "Shows the share of time some or all tasks stalled waiting for memory, averaged over 10 s. Sustained full pressure can stop modules from loading.",
			Type: "timeseries", Unit: "percentunit", Scenario: "memory-pressure", Positive: true, W: 8, H: 7,
			Targets: []Target{{Expr: sel("kmod_memory_pressure_ratio", host+`,window="10s"`), Legend: "{{instance}} {{kind}}"}}},
		Panel{Title: "Memory available", Description: "Shows MemAvailable / MemTotal, the share of memory the kernel can hand out without swapping.",
			Type: "timeseries", Unit: "percentunit", Scenario: "memory-pressure", Positive: true, W: 8, H: 7,
			Targets: []Target{{Expr: sel("kmod_memory_available_ratio", host), Legend: "{{instance}}"}}},
		Panel{Title: "Conntrack table use", Description: "Shows the connections tracked as a share of nf_conntrack_max. At 100% the kernel drops new connections.",
			Type: "timeseries", Unit: "percentunit", Scenario: "conntrack-near-full", Positive: true, W: 8, H: 7,
			Targets: []Target{{Expr: sel("kmod_conntrack_entries", host) + " / " + sel("kmod_conntrack_entries_limit", host), Legend: "{{instance}}"}}},
		Panel{Title: "Conntrack drops", Description: "Shows the packets dropped per second because the conntrack table was full, and the connections evicted early to make room.",
			Type: "timeseries", Unit: "pps", Scenario: "conntrack-near-full", W: 12, H: 7,
			Targets: []Target{
				{Expr: "rate(" + sel("kmod_conntrack_stat_drop_total", host) + "[$__rate_interval])", Legend: "{{instance}} drop"},
				{Expr: "rate(" + sel("kmod_conntrack_stat_early_drop_total", host) + "[$__rate_interval])", Legend: "{{instance}} early drop"},
			}},
		Panel{Title: "Kernel and module trees", Description: "Lists the running release and every release with a module tree under /lib/modules; running is 1 for the running kernel's tree.",
			Type: "table", Unit: "none", Scenario: "upgrade-pending", W: 12, H: 7,
			Targets: []Target{{Expr: "max by (instance, release, running) (" + sel("kmod_kernel_module_tree_info", host) + ")", Table: true}}},
		Panel{Title: "Why each module is required", Description: "Lists each required module and what requires it: the config, a flag, the default, modules-load.d, the kernel command line, or a ruleset's path.",
			Type: "table", Unit: "none", Scenario: "healthy", W: 24, H: 8,
			Targets: []Target{{Expr: "max by (instance, module, source) (" + sel("kmod_module_required", module) + ")", Table: true}}},
	)

	exporter := []Panel{
		{Title: "Collector success", Description: "Shows 1 when the collector read everything it needs and 0 when it failed; the exporter's log names the file it could not read.",
			Type: "timeseries", Unit: "none", Scenario: "healthy", Positive: true, W: 8, H: 6,
			Targets: []Target{{Expr: sel("kmod_scrape_collector_success", host), Legend: "{{instance}} {{collector}}"}}},
		{Title: "Collector duration", Description: "Shows how long each collector took per scrape.",
			Type: "timeseries", Unit: "s", Scenario: "healthy", Positive: true, W: 8, H: 6,
			Targets: []Target{{Expr: sel("kmod_scrape_collector_duration_seconds", host), Legend: "{{instance}} {{collector}}"}}},
		{Title: "Targets up", Description: "Counts the exporter's targets that Prometheus can scrape (the sum of up).",
			Type: "stat", Unit: "none", Scenario: "healthy", Positive: true, W: 8, H: 6,
			Targets: []Target{{Expr: "sum(" + sel("up", host) + ")", Legend: "up", Instant: true}}},
	}
	return []struct {
		Title  string
		Panels []Panel
	}{{"Fleet", fleet}, {"Host", hostPanels}, {"Exporter", exporter}}
}

func greenRed(good float64) []any {
	bad := 1 - good
	return []any{map[string]any{"type": "value", "options": map[string]any{
		fmt.Sprint(good): map[string]any{"text": "yes", "color": "green", "index": 0},
		fmt.Sprint(bad):  map[string]any{"text": "no", "color": "red", "index": 1},
	}}}
}

func unhealthyTable(p map[string]any) {
	p["transformations"] = []any{map[string]any{"id": "organize", "options": map[string]any{
		"excludeByName": map[string]any{"Time": true, "Value": true},
		"indexByName":   map[string]any{"instance": 0, "module": 1, "cause": 2, "runbook": 3},
	}}}
	p["fieldConfig"].(map[string]any)["overrides"] = []any{map[string]any{
		"matcher": map[string]any{"id": "byName", "options": "cause"},
		"properties": []any{map[string]any{"id": "links", "value": []any{map[string]any{
			"title": "Runbook", "targetBlank": true, "url": RunbookBase + "${__data.fields.runbook}.md",
		}}}},
	}}
}

func checksTable(p map[string]any) {
	rename := map[string]any{}
	var overrides []any
	for i, c := range checks {
		col := fmt.Sprintf("Value #%c", 'A'+i)
		rename[col] = c.column
		good := 1.0
		if c.column == "Blacklisted" || c.column == "Disabled" {
			good = 0
		}
		mappings := greenRed(good)
		if c.column == "Built in" {
			mappings = []any{map[string]any{"type": "value", "options": map[string]any{
				"1": map[string]any{"text": "built in", "color": "blue", "index": 0},
				"0": map[string]any{"text": "module", "color": "text", "index": 1},
			}}}
		}
		overrides = append(overrides, map[string]any{
			"matcher": map[string]any{"id": "byName", "options": c.column},
			"properties": []any{
				map[string]any{"id": "mappings", "value": mappings},
				map[string]any{"id": "custom.cellOptions", "value": map[string]any{"type": "color-background"}},
			},
		})
	}
	p["transformations"] = []any{
		map[string]any{"id": "merge", "options": map[string]any{}},
		map[string]any{"id": "organize", "options": map[string]any{"excludeByName": map[string]any{"Time": true}, "renameByName": rename}},
	}
	p["fieldConfig"].(map[string]any)["overrides"] = overrides
}

func loadedTimeline(p map[string]any) {
	p["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["mappings"] = []any{map[string]any{"type": "value", "options": map[string]any{
		"1": map[string]any{"text": "loaded", "color": "green", "index": 0},
		"0": map[string]any{"text": "not loaded", "color": "red", "index": 1},
	}}}
	p["options"] = map[string]any{"showValue": "never", "mergeValues": true, "rowHeight": 0.9}
}

var datasource = map[string]any{"type": "prometheus", "uid": "${datasource}"}

// layout places the rows and their panels on Grafana's 24-column grid,
// left to right, wrapping to a new line when a panel does not fit.
func layout() []any {
	var panels []any
	id := 1
	y := 0
	for _, row := range Rows() {
		panels = append(panels, map[string]any{"type": "row", "title": row.Title, "id": id, "collapsed": false,
			"gridPos": map[string]any{"h": 1, "w": 24, "x": 0, "y": y}, "panels": []any{}})
		id++
		y++
		x, rowH := 0, 0
		for _, p := range row.Panels {
			if x+p.W > 24 {
				x, y, rowH = 0, y+rowH, 0
			}
			panels = append(panels, panelJSON(p, id, x, y))
			id++
			x += p.W
			rowH = max(rowH, p.H)
		}
		y += rowH
	}
	return panels
}

// panelJSON is one panel as Grafana stores it, at grid position x, y.
func panelJSON(p Panel, id, x, y int) map[string]any {
	var targets []any
	for i, t := range p.Targets {
		target := map[string]any{"datasource": datasource, "expr": t.Expr, "refId": string(rune('A' + i)), "legendFormat": t.Legend}
		if t.Table {
			target["format"], target["instant"], target["range"] = "table", true, false
			target["legendFormat"] = "__auto"
		} else if t.Instant {
			target["instant"], target["range"] = true, false
		}
		targets = append(targets, target)
	}
	panel := map[string]any{
		"id": id, "type": p.Type, "title": p.Title, "description": p.Description, "datasource": datasource,
		"gridPos":     map[string]any{"h": p.H, "w": p.W, "x": x, "y": y},
		"targets":     targets,
		"fieldConfig": map[string]any{"defaults": map[string]any{"unit": p.Unit}, "overrides": []any{}},
	}
	if p.Type == "stat" {
		panel["options"] = map[string]any{"reduceOptions": map[string]any{"calcs": []any{"lastNotNull"}, "fields": "", "values": false}, "colorMode": "background", "graphMode": "none"}
		panel["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["thresholds"] = map[string]any{"mode": "absolute", "steps": []any{
			map[string]any{"color": "green", "value": nil}, map[string]any{"color": "red", "value": 1}}}
		if p.Title == "Targets up" {
			panel["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["thresholds"] = map[string]any{"mode": "absolute", "steps": []any{
				map[string]any{"color": "red", "value": nil}, map[string]any{"color": "green", "value": 1}}}
		}
	}
	if p.extra != nil {
		p.extra(panel)
	}
	return panel
}

// Build returns the dashboard JSON.
func Build() ([]byte, error) {
	panels := layout()
	// Refreshed on time range change (2), so hosts that came or went in the
	// range are listed.
	variable := func(name, label, query, allValue string) map[string]any {
		return map[string]any{"name": name, "label": label, "type": "query", "datasource": datasource,
			"query": map[string]any{"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"}, "definition": query,
			"refresh": 2, "multi": true, "includeAll": true, "allValue": allValue, "sort": 1,
			"current": map[string]any{"selected": true, "text": []any{"All"}, "value": []any{"$__all"}}}
	}
	dash := map[string]any{
		"uid": "kmod-exporter", "title": "Kernel modules and firewall (kmod_exporter)",
		"description":   "Shows whether the kernel modules each host's firewall needs are loaded, and if not, which documented cause holds.",
		"tags":          []any{"kmod_exporter", "firewall", "kernel"},
		"schemaVersion": 39, "version": 1, "editable": true, "refresh": "30s", "graphTooltip": 1,
		"time":  map[string]any{"from": "now-6h", "to": "now"},
		"links": []any{map[string]any{"title": "Runbooks", "type": "link", "url": RunbookBase, "targetBlank": true}},
		"annotations": map[string]any{"list": []any{map[string]any{
			"name": "Module loaded / unloaded", "enable": true, "iconColor": "orange", "datasource": datasource,
			"expr":        "changes(" + sel("kmod_module_loaded", module) + "[2m]) > 0",
			"step":        "60s",
			"titleFormat": "{{module}} loaded or unloaded",
			"textFormat":  "on {{instance}}",
		}}},
		"templating": map[string]any{"list": []any{
			map[string]any{"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus", "current": map[string]any{}},
			variable("cluster", "Cluster", `label_values(kmod_kernel_info, cluster)`, ClusterAll),
			// Every series has a job and an instance: .+ as dashboard-linter asks.
			variable("job", "Job", `label_values(kmod_exporter_build_info{cluster=~"$cluster"}, job)`, ".+"),
			variable("instance", "Instance", `label_values(kmod_exporter_build_info{cluster=~"$cluster",job=~"$job"}, instance)`, ".+"),
			variable("module", "Module", `label_values(kmod_module_required{`+host+`}, module)`, ".*"),
		}},
		"panels": panels,
	}
	out, err := json.MarshalIndent(dash, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
