package alerts_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/kmod-exporter/kmod_exporter/causes"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the rules files from causes/")

const (
	rulesFile     = "kmod_exporter.rules.yml"
	recordingFile = "kmod_exporter.recording.yml"
	testsFile     = "kmod_exporter.tests.yml"
	runbookBase   = "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/"
)

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// byPurpose is the template of a label or summary that follows why the
// module is required (causes.Definition.SeverityLabel, SummaryText).
var byPurpose = regexp.MustCompile(`^\{\{ if eq \$labels\.required_for "boot" \}\}([^{}]+)\{\{ else \}\}([^{}]+)\{\{ end \}\}$`)

func loadRules(t *testing.T) []rule {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		t.Fatal(err)
	}
	var rules []rule
	for _, g := range doc.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatal("no rules")
	}
	return rules
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(testenv.Tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// exampleAlertmanager is the Alertmanager configuration users start from;
// its inhibit rules are generated, the routes above them are written.
const exampleAlertmanager = "../examples/alertmanager.yml"

// withGeneratedInhibitRules is the example Alertmanager configuration with
// its inhibit rules as causes/ generates them.
func withGeneratedInhibitRules(t *testing.T) []byte {
	data, err := os.ReadFile(exampleAlertmanager)
	if err != nil {
		t.Fatal(err)
	}
	written, _, ok := bytes.Cut(data, []byte("# Generated from causes/"))
	if !ok {
		t.Fatalf("%s: no generated inhibit rules section", exampleAlertmanager)
	}
	return append(written, causes.InhibitRulesYAML()...)
}

// TestGenerated keeps the rules files and the example inhibit rules equal
// to what causes/ generates.
func TestGenerated(t *testing.T) {
	for file, want := range map[string][]byte{rulesFile: causes.RulesYAML(), recordingFile: causes.RecordingYAML(), exampleAlertmanager: withGeneratedInhibitRules(t)} {
		if *update {
			if err := os.WriteFile(file, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from causes/: run `go test ./alerts -run TestGenerated -update`", file)
		}
	}
}

func TestPromtoolCheckRules(t *testing.T) { run(t, "promtool", "check", "rules", rulesFile) }

// TestPromtoolTestRules runs the unit tests: every alert fires with its
// labels and annotations, and stays quiet on a healthy host, for a built-in
// module and for a module nothing requires.
func TestPromtoolTestRules(t *testing.T) { run(t, "promtool", "test", "rules", testsFile) }

func TestExampleConfigs(t *testing.T) {
	run(t, "promtool", "check", "config", "../examples/prometheus.yml")
	run(t, "amtool", "check-config", "../examples/alertmanager.yml")
}

// TestExampleRoutes: in the example Alertmanager configuration critical
// alerts page, warnings open tickets, and info reaches no one (it is on
// the dashboard and in Alertmanager's UI): every severity the causes use
// has its route.
func TestExampleRoutes(t *testing.T) {
	want := map[string]string{causes.Critical: "pager", causes.Warning: "tickets", causes.Info: "quiet"}
	seen := map[string]bool{}
	for _, d := range causes.All() {
		seen[d.Severity] = true
	}
	for sev := range seen {
		out, err := exec.Command(testenv.Tool(t, "amtool"), "config", "routes", "test", "--config.file="+exampleAlertmanager, "severity="+sev).Output()
		if err != nil {
			t.Fatalf("amtool config routes test severity=%s: %v", sev, err)
		}
		if got := strings.TrimSpace(string(out)); got != want[sev] {
			t.Errorf("severity=%s goes to %q, want %q", sev, got, want[sev])
		}
	}
}

var (
	alertName   = regexp.MustCompile(`^Kmod[A-Z][A-Za-z]*$`)
	metricNames = regexp.MustCompile(`\bkmod_[a-z_]+\b`)
)

// exportedMetrics are the metric names in the fixture scenarios' golden
// outputs, plus those the golden files leave out because they vary.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{"kmod_scrape_collector_duration_seconds": true, "kmod_exporter_build_info": true}
	files, _ := filepath.Glob("../fixtures/*/metrics.prom")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "kmod_") {
				names[strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]] = true
			}
		}
	}
	return names
}

func TestAlertLint(t *testing.T) {
	rules := loadRules(t)
	exported := exportedMetrics(t)
	tests, err := os.ReadFile(testsFile)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if !alertName.MatchString(r.Alert) || len(r.Alert) > 40 {
			t.Errorf("%q: names are CamelCase, start with Kmod, at most 40 characters", r.Alert)
		}
		if seen[r.Alert] {
			t.Errorf("%s: defined twice", r.Alert)
		}
		seen[r.Alert] = true
		// An alert that follows why its module is required chooses between
		// two severities, and two summaries, by its required_for label.
		sevs := []string{r.Labels["severity"]}
		if m := byPurpose.FindStringSubmatch(sevs[0]); m != nil {
			sevs = m[1:]
		}
		for _, sev := range sevs {
			if !slices.Contains([]string{"critical", "warning", "info"}, sev) {
				t.Errorf("%s: severity %q", r.Alert, sev)
			}
		}
		for _, a := range []string{"summary", "description", "fix", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: annotation %s missing", r.Alert, a)
			}
		}
		summaries := []string{r.Annotations["summary"]}
		if m := byPurpose.FindStringSubmatch(summaries[0]); m != nil {
			summaries = m[1:]
		}
		for _, sum := range summaries {
			if strings.Contains(sum, "{{") || strings.Count(sum, ". ") > 0 || !strings.HasSuffix(sum, ".") {
				t.Errorf("%s: the summary %q is not one sentence without templates", r.Alert, sum)
			}
		}
		if got, want := r.Annotations["runbook_url"], runbookBase+r.Alert+".md"; got != want {
			t.Errorf("%s: runbook_url %q, want %q", r.Alert, got, want)
		}
		book, err := os.ReadFile(filepath.Join("runbooks", r.Alert+".md"))
		if err != nil {
			t.Errorf("%s: %v", r.Alert, err)
		}
		for _, section := range []string{"# " + r.Alert + "\n", "## Meaning\n", "## Impact\n", "## Diagnosis\n", "## Mitigation\n"} {
			if !strings.Contains(string(book), section) {
				t.Errorf("runbooks/%s.md lacks %q", r.Alert, strings.TrimSpace(section))
			}
		}
		for _, m := range metricNames.FindAllString(r.Expr, -1) {
			if !exported[m] {
				t.Errorf("%s uses %s, which the exporter does not export in any scenario", r.Alert, m)
			}
		}
		if !strings.Contains(string(tests), "alertname: "+r.Alert+"\n") {
			t.Errorf("%s has no promtool unit test", r.Alert)
		}
	}
	// Every runbook belongs to an alert.
	books, _ := filepath.Glob("runbooks/*.md")
	for _, b := range books {
		if name := strings.TrimSuffix(filepath.Base(b), ".md"); !seen[name] {
			t.Errorf("%s has no alert", b)
		}
	}
	// The example Alertmanager's inhibit rules name only existing alerts.
	am, err := os.ReadFile("../examples/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`alertname=~?"([^"]+)"`).FindAllStringSubmatch(string(am), -1) {
		for _, alt := range strings.Split(m[1], "|") {
			if strings.HasSuffix(alt, ".*") {
				prefix := strings.TrimSuffix(alt, ".*")
				found := false
				for name := range seen {
					found = found || strings.HasPrefix(name, prefix)
				}
				if !found {
					t.Errorf("inhibit pattern %q matches no alert", alt)
				}
			} else if !seen[alt] {
				t.Errorf("inhibit rule names unknown alert %q", alt)
			}
		}
	}
}
