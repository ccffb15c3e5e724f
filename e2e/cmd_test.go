package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kmod-exporter/kmod_exporter/fixtures"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// runBinary runs the exporter to completion and returns its stdout and
// exit status.
func runBinary(t *testing.T, args ...string) (string, int) {
	t.Helper()
	stdout, _, code := runOutputs(t, binary, args...)
	return stdout, code
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		must(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `make update-golden`)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (review, then `make update-golden`):\n%s", path, lineDiff(string(want), got))
	}
}

// checkJSON is what TestCheckCommand reads of `check --output=json`, as a
// script reading the documented output would.
type checkJSON struct {
	Healthy    bool `json:"healthy"`
	Blind      bool `json:"cannot_see_host"`
	Unreadable []struct {
		Path string `json:"path"`
	} `json:"unreadable"`
	HostCauses []checkCause `json:"host_causes"`
	Modules    []struct {
		Causes []checkCause `json:"causes"`
	} `json:"modules"`
}

type checkCause struct {
	Alert    string            `json:"alert"`
	Severity string            `json:"severity"`
	Labels   map[string]string `json:"labels"`
}

// TestCheckCommand runs `kmod_exporter check` on every scenario: golden
// table and JSON, the exit status, and the same causes the alert chain pages
// for (TestAlertChain's expectedAlerts).
func TestCheckCommand(t *testing.T) {
	for _, name := range fixtures.Names() {
		t.Run(name, func(t *testing.T) {
			args := append(scenarioArgs(name), "check")
			table, code := runBinary(t, append(args, "--color=never")...)
			golden(t, filepath.Join("fixtures", name, "check.txt"), table)
			js, jcode := runBinary(t, append(args, "--output=json")...)
			golden(t, filepath.Join("fixtures", name, "check.json"), js)

			var out checkJSON
			must(t, json.Unmarshal([]byte(js), &out))
			critical := false
			var causes []string
			add := func(c checkCause) {
				critical = critical || c.Severity == "critical"
				id := c.Alert
				for _, l := range identifying {
					if v, ok := c.Labels[l]; ok && (l != "release" || c.Alert == "KmodNextBootModuleMissing") {
						id += " " + l + "=" + v
					}
				}
				causes = append(causes, id)
			}
			for _, c := range out.HostCauses {
				add(c)
			}
			for _, m := range out.Modules {
				for _, c := range m.Causes {
					add(c)
				}
			}
			if got, want := testenv.Sorted(causes), testenv.Sorted(expectedAlerts[name]); !slices.Equal(got, want) {
				t.Errorf("check reports %q, the alerts page for %q", got, want)
			}
			wantCode := 0
			if critical {
				wantCode = 1
			}
			if out.Blind || len(out.Unreadable) > 0 {
				// The exporter's paths, not the host, are wrong; or a
				// requirement file cannot be read or understood.
				wantCode = 2
			}
			if code != wantCode || jcode != wantCode || out.Healthy != !critical {
				t.Errorf("exit %d (json %d), healthy %v; want exit %d", code, jcode, out.Healthy, wantCode)
			}
			if strings.Contains(table, "\x1b[") {
				t.Error("colour without a terminal")
			}
		})
	}
	for _, flag := range []string{"--path.procfs", "--path.sysfs", "--path.rootfs"} {
		var args []string
		for _, a := range scenarioArgs("healthy") {
			if strings.HasPrefix(a, flag+"=") {
				a = flag + "=/nonexistent"
			}
			args = append(args, a)
		}
		out, code := runBinary(t, append(args, "check")...)
		if code != 2 || !strings.Contains(out, "CANNOT SEE THE HOST") || strings.Contains(out, "healthy") {
			t.Errorf("%s=/nonexistent: exit %d, want 2 and CANNOT SEE THE HOST:\n%s", flag, code, out)
		}
	}
	if out, _ := runBinary(t, append(scenarioArgs("blacklisted"), "check", "--color=always")...); !strings.Contains(out, "\x1b[31mFAIL") {
		t.Error("--color=always does not colour FAIL")
	}
}

// TestTextfile writes one scrape for node_exporter's textfile collector.
func TestTextfile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kmod.prom")
	_, code := runBinary(t, append(scenarioArgs("blacklisted"), "--output.file="+path)...)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("not the text format: %v", err)
	}
	for _, want := range []string{"kmod_module_blacklisted", "kmod_scrape_collector_success", "kmod_exporter_build_info"} {
		if families[want] == nil {
			t.Errorf("%s missing", want)
		}
	}
	if families["go_goroutines"] != nil || families["process_cpu_seconds_total"] != nil {
		t.Error("a one-shot run has no process metrics worth keeping")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		out, err := exec.Command("sh", "-c", p+" check metrics < "+path).CombinedOutput()
		if err != nil {
			t.Errorf("promtool: %v %s", err, out)
		}
	} else {
		testenv.Tool(t, "promtool")
	}
	if _, code := runBinary(t, append(scenarioArgs("healthy"), "--output.file="+filepath.Join(dir, "missing-dir", "x.prom"))...); code != 1 {
		t.Errorf("unwritable target: exit %d, want 1", code)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	must(t, os.WriteFile(good, []byte("modules: [nf_conntrack, ipt_recent]\nrulesets: []\n"), 0o644))
	must(t, os.WriteFile(bad, []byte("modules: [../../etc/passwd]\n"), 0o644))
	if out, code := runBinary(t, "--config.file="+good, "--config.check"); code != 0 || !strings.Contains(out, "2 modules, 0 rulesets") {
		t.Errorf("valid config: exit %d, %q", code, out)
	}
	if out, code := runBinary(t, "--config.file=examples/config.yml", "--config.check"); code != 0 || !strings.Contains(out, "3 modules, 4 rulesets") {
		t.Errorf("examples/config.yml: exit %d, %q", code, out)
	}
	if _, code := runBinary(t, "--config.file="+bad, "--config.check"); code != 1 {
		t.Errorf("invalid config: exit %d, want 1", code)
	}
	if _, code := runBinary(t, "--config.file="+bad); code != 2 {
		t.Errorf("invalid config at start: exit %d, want 2", code)
	}
}

// TestRulesetFamilyConfigured: a family in the configuration wins over the
// name. The healthy host's rules.v4 read as IPv6 requires ip6table_filter,
// not iptable_filter and ipt_REJECT; its IPv4-only icmp match is then no
// module of IPv6 (unknown), and its matches are no longer asked of IPv4's
// x_tables. A family with an nftables file is refused with its line.
func TestRulesetFamilyConfigured(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	must(t, os.WriteFile(cfg, []byte("rulesets:\n  - path: /etc/iptables/rules.v4\n    family: ipv6\n"), 0o644))
	body := startExporter(t, append(scenarioArgs("healthy"), "--config.file="+cfg)...).scrape(t)
	for _, want := range []string{
		`kmod_module_required{module="ip6table_filter",source="/etc/iptables/rules.v4"} 1`,
		`kmod_requirement_unknown{line="0",module="xt_icmp",path="/etc/iptables/rules.v4",source="/etc/iptables/rules.v4"} 1`,
		`kmod_ruleset_parse_success{path="/etc/iptables/rules.v4"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s", want)
		}
	}
	for _, absent := range []string{`module="iptable_filter",source="/etc/iptables/rules.v4"`, `module="ipt_REJECT",source="/etc/iptables/rules.v4"`, `kmod_xtables_match_registered{family="ipv4"`} {
		if strings.Contains(body, absent) {
			t.Errorf("%s still there", absent)
		}
	}
	bad := filepath.Join(dir, "bad.yml")
	must(t, os.WriteFile(bad, []byte("rulesets:\n  - path: /etc/nftables.conf\n    format: nftables\n    family: ipv6\n"), 0o644))
	if _, out, code := runOutputs(t, binary, "--config.file="+bad, "--config.check"); code != 1 || !strings.Contains(out, bad+":4: rulesets[0].family: only iptables-save files have a family") {
		t.Errorf("family with nftables: exit %d, %q", code, out)
	}
}

// TestReload changes the configuration under a running exporter, by HTTP
// and by SIGHUP; an invalid one keeps the previous configuration.
func TestReload(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	must(t, os.WriteFile(cfg, []byte("modules: [xt_recent]\nrulesets: []\n"), 0o644))
	e := startExporter(t, append(scenarioArgs("healthy"), "--config.file="+cfg, "--web.enable-lifecycle")...)
	post := func() int {
		resp, err := http.Post("http://"+e.addr+"/-/reload", "", nil)
		must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	has := func(s string) bool { return strings.Contains(e.scrape(t), s) }
	if !has(`kmod_module_required{module="xt_recent",source="config"} 1`) || has(`module="xt_set",source="config"`) {
		t.Fatal("initial configuration not in force")
	}
	must(t, os.WriteFile(cfg, []byte("modules: [xt_set]\nrulesets: []\n"), 0o644))
	if code := post(); code != 200 || !has(`kmod_module_required{module="xt_set",source="config"} 1`) || has(`module="xt_recent",source="config"`) {
		t.Errorf("reload by POST: %d", code)
	}
	must(t, os.WriteFile(cfg, []byte("modules: [\"bad/name\"]\n"), 0o644))
	if code := post(); code != 500 || !has("kmod_config_last_reload_successful 0") || !has(`kmod_module_required{module="xt_set",source="config"} 1`) {
		t.Errorf("invalid configuration must keep the old one: %d", code)
	}
	if resp, err := http.Get("http://" + e.addr + "/-/reload"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /-/reload: %d", resp.StatusCode)
		}
	}
	must(t, os.WriteFile(cfg, []byte("modules: [xt_multiport]\nrulesets: []\n"), 0o644))
	must(t, e.cmd.Process.Signal(syscall.SIGHUP))
	deadline := time.Now().Add(5 * time.Second)
	for !has(`kmod_module_required{module="xt_multiport",source="config"} 1`) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !has("kmod_config_last_reload_successful 1") || !has(`module="xt_multiport",source="config"`) {
		t.Error("reload by SIGHUP")
	}
}
