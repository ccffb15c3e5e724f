package causes

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type parsedRule struct {
	Alert, Record, Expr, For string
	Labels, Annotations      map[string]string
}

func parseRules(t *testing.T, data []byte) []parsedRule {
	t.Helper()
	var doc struct {
		Groups []struct {
			Name  string
			Rules []parsedRule
		}
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var out []parsedRule
	for _, g := range doc.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// TestRulesYAML: the generated rules file says, once YAML has folded it,
// exactly what the definitions say, so check prints what the page says.
func TestRulesYAML(t *testing.T) {
	rules := parseRules(t, RulesYAML())
	all := All()
	if len(rules) != len(all) || len(all) != 25 {
		t.Fatalf("%d rules from %d causes, want 25", len(rules), len(all))
	}
	seen := map[string]bool{}
	for i, d := range all {
		r := rules[i]
		if seen[d.Name] {
			t.Errorf("%s defined twice", d.Name)
		}
		seen[d.Name] = true
		want := parsedRule{Alert: d.Name, Expr: d.RuleExpr(), For: d.For, Labels: map[string]string{"severity": d.SeverityLabel()},
			Annotations: map[string]string{"summary": d.SummaryText(), "description": d.DescriptionText(), "fix": d.FixText(), "runbook_url": d.RunbookURL()}}
		if r.Alert != want.Alert || r.Expr != want.Expr || r.For != want.For || r.Labels["severity"] != d.SeverityLabel() || len(r.Labels) != 1 {
			t.Errorf("rule %d: %+v, want %+v", i, r, want)
		}
		for k, v := range want.Annotations {
			if r.Annotations[k] != v {
				t.Errorf("%s: %s %q, want %q", d.Name, k, r.Annotations[k], v)
			}
		}
	}
}

// TestRecordingYAML: one unhealthy series per fleet cause, labelled with a
// defined cause, and the count per cluster.
func TestRecordingYAML(t *testing.T) {
	rules := parseRules(t, RecordingYAML())
	if len(rules) != len(Fleet)+1 || rules[len(Fleet)].Record != HostsRecord {
		t.Fatalf("%d recording rules: %+v", len(rules), rules)
	}
	for i, c := range Fleet {
		r := rules[i]
		if _, ok := Lookup(c.Alert); !ok || r.Labels["runbook"] != c.Alert || r.Labels["cause"] != c.Label || r.Record != UnhealthyRecord {
			t.Errorf("%s: %+v", c.Label, r)
		}
		if !strings.Contains(r.Expr, "kmod_module_required") {
			t.Errorf("%s: not limited to required modules: %s", c.Label, r.Expr)
		}
	}
}

func TestThresholdTexts(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ratio(ConntrackNearFullRatio), "0.9"}, {percent(ConntrackNearFullRatio), "90%"},
		{ratio(MemoryPressureFullRatio), "0.1"}, {percent(MemoryPressureFullRatio), "10%"},
		{ratio(MemoryAvailableRatio), "0.05"}, {percent(MemoryAvailableRatio), "5%"},
		{percent(0.123), "12.3%"}, {ratio(0.125), "0.125"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestIptablesPattern: the pattern matches exactly the releases before
// OldestGoodIptables.
func TestIptablesPattern(t *testing.T) {
	for v, old := range map[string]bool{
		"0.9": true, "1.4.21": true, "1.6.1": true, "1.8.0": true, "1.8.6": true, "1.8.6-1ubuntu1": true,
		OldestGoodIptables: false, "1.8.7-1": false, "1.8.10": false, "1.8.60": false, "1.10.0": false, "2.0.0": false,
	} {
		if got := outdatedIptables.MatchString(v); got != old {
			t.Errorf("%s: outdated %v, want %v", v, got, old)
		}
	}
}

func TestRender(t *testing.T) {
	got, err := Render(Cause{Alert: ModuleBlacklisted, Labels: map[string]string{"module": "xt_recent", "directive": "blacklist", "path": "/etc/modprobe.d/fw.conf", "line": "3"}}, "this host")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Fix, "On this host, comment out line 3 of /etc/modprobe.d/fw.conf (`blacklist xt_recent` becomes `#blacklist xt_recent`;") {
		t.Errorf("fix %q", got.Fix)
	}
	if got.Summary != "A required kernel module is blacklisted and not loaded." || got.Runbook != RunbookBase+"KmodModuleBlacklisted.md" {
		t.Errorf("summary %q, runbook %q", got.Summary, got.Runbook)
	}
	if _, err := Render(Cause{Alert: "KmodNoSuchCause"}, "this host"); err == nil {
		t.Error("no error for an unknown cause")
	}
}

// TestMixinEdits: each text a mixin setting replaces is in the rule it
// names, once, so the setting reaches exactly what it says.
func TestMixinEdits(t *testing.T) {
	edits := 0
	for _, s := range MixinSettings {
		for _, e := range s.Edits {
			edits++
			d, ok := Lookup(e.Alert)
			if !ok {
				t.Errorf("%s: no cause %s", s.Name, e.Alert)
				continue
			}
			text := map[string]string{"expr": d.RuleExpr(), "summary": d.Summary, "description": d.DescriptionText(), "fix": d.FixText()}[e.Field]
			if n := strings.Count(text, e.Shipped); n != 1 {
				t.Errorf("%s: %s's %s holds %q %d times, want once", s.Name, e.Alert, e.Field, e.Shipped, n)
			}
		}
	}
	if edits != 8 {
		t.Errorf("%d edits, want 8", edits)
	}
}

// Every inhibit rule names causes that exist, and no cause mutes itself.
func TestInhibitionsNameCauses(t *testing.T) {
	for _, r := range Inhibitions() {
		for _, n := range append(append([]string{}, r.Sources...), r.Targets...) {
			if _, ok := Lookup(n); !ok {
				t.Errorf("inhibit rule names %s, which is no cause", n)
			}
		}
		for _, s := range r.Sources {
			if slices.Contains(r.Targets, s) {
				t.Errorf("%s would inhibit itself", s)
			}
		}
	}
}
