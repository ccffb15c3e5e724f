package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/kmod-exporter/kmod_exporter/causes"
)

// The rules of grafana/dashboard-linter (github.com/grafana/dashboard-linter,
// lint/rule_*.go), restated here so the test needs only the PromQL parser,
// not the linter's module; the rule name in each finding is the linter's.
// Where the linter only warns (a variable's label) this fails.

// validUnits are the units of the linter's panel-units-rule (Grafana's
// value formats) that a panel of this dashboard could use.
var validUnits = []string{
	"none", "string", "short", "percent", "percentunit", "hex0x", "hex", "sci", "locale",
	"bytes", "decbytes", "bits", "decbits", "kbytes", "deckbytes", "mbytes", "decmbytes", "gbytes", "decgbytes",
	"pps", "binBps", "Bps", "binbps", "bps",
	"dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsLocal", "dateTimeAsSystem", "dateTimeFromNow",
	"hertz", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms", "timeticks", "clockms", "clocks",
	"cps", "ops", "reqps", "rps", "wps", "iops", "cpm", "opm", "rpm", "wpm",
	"bool", "bool_yes_no", "bool_on_off",
}

// rateIntervalPlaceholder stands for $__rate_interval in a parsed query, as
// the linter's magic duration does, so the rate-interval rule can tell it
// from a fixed range.
const rateIntervalPlaceholder = 11277964 * time.Second

// variableRef is the linter's variable syntax: $var, ${var} or [[var]]; a
// reference right after a double quote is a label value and stays as is,
// so that matchers like job=~"$job" can be checked.
var variableRef = regexp.MustCompile(`("\$|\$)([[:word:]]+)|("\$|\$)\{([^}]+)\}|\[\[([^\[\]]+)\]\]`)

// expand replaces the variables outside label values so the query parses.
func expand(expr string) string {
	return variableRef.ReplaceAllStringFunc(expr, func(v string) string {
		if strings.HasPrefix(v, `"`) {
			return v
		}
		name := strings.Trim(v, "$[]{}")
		switch name {
		case "__rate_interval":
			return fmt.Sprintf("%ds", int(rateIntervalPlaceholder.Seconds()))
		case "__interval", "__range":
			return "11277965s"
		}
		return "placeholder_" + name
	})
}

func parse(expr string) (parser.Expr, error) {
	return parser.NewParser(parser.Options{}).ParseExpr(expand(expr))
}

func str(m map[string]any, key string) string { s, _ := m[key].(string); return s }

// lint returns the findings of the linter's rules on a dashboard, each
// prefixed with the rule's name.
func lint(d map[string]any) []string {
	var out []string
	report := func(rule, format string, args ...any) {
		out = append(out, rule+": "+fmt.Sprintf(format, args...))
	}
	dsVariable := func(m map[string]any) bool {
		ds, _ := m["datasource"].(map[string]any)
		uid := str(ds, "uid")
		return uid == "$datasource" || uid == "${datasource}"
	}

	templating, _ := d["templating"].(map[string]any)
	list, _ := templating["list"].([]any)
	vars := map[string]map[string]any{}
	var datasources []map[string]any
	for _, v := range list {
		v := v.(map[string]any)
		vars[str(v, "name")] = v
		if str(v, "type") == "datasource" {
			datasources = append(datasources, v)
		}
		// template-on-time-change-reload
		if str(v, "type") == "query" && v["refresh"] != 2.0 {
			report("template-on-time-change-reload", "variable %s refreshes on %v, not on time range change (2)", str(v, "name"), v["refresh"])
		}
	}
	// template-datasource-rule
	if len(datasources) != 1 {
		report("template-datasource-rule", "%d data source variables, want one", len(datasources))
	} else if ds := datasources[0]; str(ds, "name") != "datasource" || str(ds, "label") != "Data source" || str(ds, "query") != "prometheus" {
		report("template-datasource-rule", "data source variable %s labeled %q for %q, want datasource labeled \"Data source\" for prometheus",
			str(ds, "name"), str(ds, "label"), str(ds, "query"))
	}
	// template-job-rule, template-instance-rule
	for _, name := range []string{"job", "instance"} {
		rule := "template-" + name + "-rule"
		v := vars[name]
		if v == nil {
			report(rule, "no %s variable", name)
			continue
		}
		if !dsVariable(v) {
			report(rule, "%s does not use the datasource variable", name)
		}
		if str(v, "type") != "query" {
			report(rule, "%s is a %q variable, not a query", name, str(v, "type"))
		}
		if want := strings.ToUpper(name[:1]) + name[1:]; str(v, "label") != want {
			report(rule, "%s is labeled %q, not %q", name, str(v, "label"), want)
		}
		if v["multi"] != true {
			report(rule, "%s is not multi-select", name)
		}
		if str(v, "allValue") != ".+" {
			report(rule, "%s's allValue is %q, not .+", name, str(v, "allValue"))
		}
	}

	panels, _ := d["panels"].([]any)
	for _, p := range panels {
		p := p.(map[string]any)
		typ, title := str(p, "type"), str(p, "title")
		if typ == "row" {
			continue
		}
		// panel-datasource-rule (every panel here queries Prometheus)
		if !dsVariable(p) {
			report("panel-datasource-rule", "%s does not use the datasource variable", title)
		}
		// panel-title-description-rule
		if title == "" || str(p, "description") == "" {
			report("panel-title-description-rule", "panel %v has title %q and description %q", p["id"], title, str(p, "description"))
		}
		// panel-units-rule
		if slices.Contains([]string{"stat", "singlestat", "graph", "table", "timeseries", "gauge"}, typ) {
			fc, _ := p["fieldConfig"].(map[string]any)
			defaults, _ := fc["defaults"].(map[string]any)
			if unit := str(defaults, "unit"); !slices.Contains(validUnits, unit) {
				report("panel-units-rule", "%s has no or an invalid unit %q", title, unit)
			}
		}
		targets, _ := p["targets"].([]any)
		for i, t := range targets {
			expr := str(t.(map[string]any), "expr")
			// target-promql-rule
			node, err := parse(expr)
			if err != nil {
				report("target-promql-rule", "%s, target %d: %v", title, i, err)
				continue
			}
			// target-job-rule, target-instance-rule, and the same for
			// the cluster variable this dashboard adds
			for _, selector := range parser.ExtractSelectors(node) {
				for _, name := range []string{"job", "instance", "cluster"} {
					if err := matcher(selector, name); err != nil {
						report("target-"+name+"-rule", "%s, target %d: %v in %s", title, i, err, expr)
					}
				}
			}
			// target-rate-interval-rule
			parser.Inspect(node, func(n parser.Node, path []parser.Node) error {
				m, ok := n.(*parser.MatrixSelector)
				if !ok || m.Range == rateIntervalPlaceholder || len(path) == 0 {
					return nil
				}
				if call, ok := path[len(path)-1].(*parser.Call); ok && (call.Func.Name == "rate" || call.Func.Name == "irate") {
					report("target-rate-interval-rule", "%s, target %d: %s does not use $__rate_interval", title, i, call.Func.Name)
				}
				return nil
			})
		}
	}
	return out
}

// matcher checks that a selector has name=~"$name", as the linter's
// checkForMatcher does.
func matcher(selector []*labels.Matcher, name string) error {
	for _, m := range selector {
		if m.Name != name {
			continue
		}
		if m.Type != labels.MatchRegexp || m.Value != "$"+name {
			return fmt.Errorf("%s matcher is %s, not =~\"$%s\"", name, m, name)
		}
		return nil
	}
	return fmt.Errorf("no %s matcher", name)
}

func loadDashboard(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestLint: the shipped dashboard passes every rule.
func TestLint(t *testing.T) {
	for _, f := range lint(loadDashboard(t)) {
		t.Error(f)
	}
}

// TestLintCatches: each rule reports the mistake it is about, so a clean
// TestLint means something.
func TestLintCatches(t *testing.T) {
	variable := func(d map[string]any, name string) map[string]any {
		for _, v := range d["templating"].(map[string]any)["list"].([]any) {
			if v := v.(map[string]any); v["name"] == name {
				return v
			}
		}
		t.Fatalf("no variable %s", name)
		return nil
	}
	panel := func(d map[string]any, title string) map[string]any {
		for _, p := range d["panels"].([]any) {
			if p := p.(map[string]any); p["title"] == title {
				return p
			}
		}
		t.Fatalf("no panel %s", title)
		return nil
	}
	target := func(d map[string]any, title string) map[string]any {
		return panel(d, title)["targets"].([]any)[0].(map[string]any)
	}
	for _, c := range []struct {
		rule   string
		mutate func(d map[string]any)
	}{
		{"template-datasource-rule", func(d map[string]any) { variable(d, "datasource")["name"] = "ds" }},
		{"template-job-rule", func(d map[string]any) { variable(d, "job")["allValue"] = ".*" }},
		{"template-instance-rule", func(d map[string]any) { variable(d, "instance")["multi"] = false }},
		{"template-instance-rule", func(d map[string]any) { variable(d, "instance")["label"] = "Host" }},
		{"template-on-time-change-reload", func(d map[string]any) { variable(d, "module")["refresh"] = 1.0 }},
		{"panel-datasource-rule", func(d map[string]any) {
			panel(d, "Collector duration")["datasource"] = map[string]any{"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
		}},
		{"panel-title-description-rule", func(d map[string]any) { panel(d, "Collector duration")["description"] = "" }},
		{"panel-units-rule", func(d map[string]any) {
			panel(d, "Collector duration")["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["unit"] = "seconds"
		}},
		{"target-promql-rule", func(d map[string]any) {
			target(d, "Collector duration")["expr"] = "sum(kmod_scrape_collector_duration_seconds"
		}},
		{"target-job-rule", func(d map[string]any) {
			target(d, "Collector duration")["expr"] = `kmod_scrape_collector_duration_seconds{cluster=~"$cluster",instance=~"$instance"}`
		}},
		{"target-instance-rule", func(d map[string]any) {
			target(d, "Collector duration")["expr"] = `kmod_scrape_collector_duration_seconds{cluster=~"$cluster",job=~"$job",instance="$instance"}`
		}},
		{"target-cluster-rule", func(d map[string]any) {
			target(d, "Collector duration")["expr"] = `kmod_scrape_collector_duration_seconds{job=~"$job",instance=~"$instance"}`
		}},
		{"target-rate-interval-rule", func(d map[string]any) {
			e := target(d, "Conntrack drops")
			e["expr"] = strings.Replace(e["expr"].(string), "$__rate_interval", "5m", 1)
		}},
	} {
		d := loadDashboard(t)
		c.mutate(d)
		findings := lint(d)
		if len(findings) != 1 || !strings.HasPrefix(findings[0], c.rule+": ") {
			t.Errorf("%s: findings %q, want one of this rule", c.rule, findings)
		}
	}
}

// sentence is how every description reads: it starts with a verb saying
// what the panel does and ends with a full stop.
var sentence = regexp.MustCompile(`^(Shows|Lists|Counts|Checks) [^\n]*[a-z0-9)]\.$`)

// TestDescriptionsAreSentences: the dashboard's and every panel's
// description is a sentence.
func TestDescriptionsAreSentences(t *testing.T) {
	d := loadDashboard(t)
	if desc := str(d, "description"); !sentence.MatchString(desc) {
		t.Errorf("dashboard description %q", desc)
	}
	for _, p := range d["panels"].([]any) {
		p := p.(map[string]any)
		if p["type"] == "row" {
			continue
		}
		if desc := str(p, "description"); !sentence.MatchString(desc) || strings.Contains(desc, "  ") {
			t.Errorf("%s: description %q does not read as a sentence", str(p, "title"), desc)
		}
	}
	// What a stat panel says of its cause completes "a module that ...".
	for _, c := range causes.Fleet {
		if !regexp.MustCompile(`^(is|has) `).MatchString(c.Says) {
			t.Errorf("%s: %q does not complete \"a required module that ...\"", c.Title, c.Says)
		}
	}
}
