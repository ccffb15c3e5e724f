package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/kmod-exporter/kmod_exporter/fixtures"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// expectedAlerts are the notifications each scenario must produce through
// the shipped rules, with the example Alertmanager's inhibit rules and
// without them alike: one entry per alert, as "Alertname key=value ..."
// over the labels that identify it.
var expectedAlerts = map[string][]string{
	"healthy":                nil,
	"fail2ban":               nil,
	"fail2ban-broken-action": nil,
	"firewalld":              nil,
	"not-loaded":             {"KmodModuleNotLoaded module=nf_conntrack", "KmodModuleNotLoaded module=xt_conntrack", "KmodModuleNotLoaded module=xt_state"},
	"blacklisted": {"KmodModuleBlacklisted module=nf_conntrack path=/etc/modprobe.d/blacklist-iptables.conf line=3",
		"KmodModuleBlacklisted module=xt_conntrack path=/etc/modprobe.d/blacklist-iptables.conf line=4",
		"KmodModuleBlacklisted module=xt_state path=/etc/modprobe.d/blacklist-iptables.conf line=5"},
	"blacklisted-dependency": nil,
	"latent-blacklisted":     {"KmodModuleNextLoadFails module=xt_recent path=/etc/modprobe.d/blacklist-iptables.conf line=3"},
	"install-disabled":       {"KmodModuleDisabled module=nf_conntrack path=/etc/modprobe.d/hardening.conf line=3"},
	"cmdline-blacklist":      {"KmodModuleDisabled module=nf_conntrack path=/proc/cmdline line=1", "KmodModuleBlacklisted module=xt_recent path=/proc/cmdline line=1"},
	"missing-file":           {"KmodModuleFileMissing module=nf_conntrack"},
	"release-mismatch":       {"KmodModuleReleaseMismatch module=nf_conntrack path=/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/nf_conntrack.ko.xz"},
	"no-modules-dir":         {"KmodNoModulesForRunningKernel"},
	"deps-missing":           {"KmodModuleDependencyMissing module=nf_conntrack dependency=libcrc32c"},
	"memory-pressure":        {"KmodModuleNotLoadedMemoryPressure module=nf_conntrack"},
	"no-module-support":      {"KmodKernelWithoutModuleSupport module=xt_recent"},
	"ruleset-missing-module": {"KmodModuleFileMissing module=xt_set"},
	"boot-module-missing":    {"KmodModuleFileMissing module=zfs"},
	"nft-only":               {"KmodModuleNotPersistent module=nf_nat"},
	"kernel-without-module":  {"KmodKernelBuiltWithoutModule module=xt_recent"},
	"upgrade-pending":        {"KmodNextBootModuleMissing module=xt_recent release=6.1.0-19-amd64"},
	"wrong-rootfs":           {"KmodExporterCannotSeeHost path=fixtures/wrong-rootfs/root"},
	"unknown-requirement":    {"KmodRequirementUnknown module=xt_multiprot path=/etc/modules-load.d/typo.conf line=2"},
	"conntrack-near-full":    {"KmodConntrackTableNearFull"},
	"docker":                 nil,
	"kube-proxy":             nil,
	"file-unreadable":        {"KmodModuleFileUnreadable module=xt_recent path=/lib/modules/6.1.0-18-amd64/kernel/net/netfilter/xt_recent.ko.zst"},
	"ufw":                    nil,
}

// identifying are the labels shown in expectedAlerts, besides the name.
var identifying = []string{"module", "dependency", "path", "line", "release"}

type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// webhook records the latest notification of each Alertmanager group: it
// carries every alert of the group still firing and not inhibited.
type webhook struct {
	mu     sync.Mutex
	groups map[string][]webhookAlert
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var msg struct {
		GroupKey string         `json:"groupKey"`
		Alerts   []webhookAlert `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.groups[msg.GroupKey] = msg.Alerts
	w.mu.Unlock()
}

// byScenario returns the firing alerts per scenario, as strings like those
// in expectedAlerts, and the alerts themselves.
func (w *webhook) byScenario() (map[string][]string, []webhookAlert) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]string{}
	var all []webhookAlert
	for _, alerts := range w.groups {
		for _, a := range alerts {
			if a.Status != "firing" {
				continue
			}
			all = append(all, a)
			id := a.Labels["alertname"]
			for _, l := range identifying {
				if v, ok := a.Labels[l]; ok && (l != "release" || a.Labels["alertname"] == "KmodNextBootModuleMissing") {
					id += " " + l + "=" + v
				}
			}
			out[a.Labels["scenario"]] = append(out[a.Labels["scenario"]], id)
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out, all
}

// startServer runs a Prometheus-project server on a loopback port and waits
// until it is ready; it is stopped when the test ends.
func startServer(t *testing.T, name, bin string, args func(addr string) []string) string {
	t.Helper()
	addr, _, _ := startProcess(t, name, bin, args, "/-/ready")
	return addr
}

// prometheusOnScenarios starts an exporter on every fixture scenario and a
// Prometheus scraping them every second (with the rules file and the
// Alertmanagers when given; "" is none). It returns Prometheus' address and
// each scenario's instance label.
func prometheusOnScenarios(t *testing.T, prometheus, dir, rulesFile string, amAddrs ...string) (string, map[string]string) {
	t.Helper()
	instances := map[string]string{}
	var targets strings.Builder
	for _, name := range fixtures.Names() {
		e := startExporter(t, scenarioArgs(name)...)
		instances[name] = e.addr
		fmt.Fprintf(&targets, "      - targets: [%q]\n        labels: {scenario: %q}\n", e.addr, name)
	}
	config := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
	if rulesFile != "" {
		config += fmt.Sprintf("rule_files: [%q]\n", rulesFile)
	}
	var ams []string
	for _, a := range amAddrs {
		if a != "" {
			ams = append(ams, strconv.Quote(a))
		}
	}
	if len(ams) > 0 {
		config += fmt.Sprintf("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [%s]\n", strings.Join(ams, ", "))
	}
	config += "scrape_configs:\n  - job_name: kmod\n    static_configs:\n" + targets.String()
	promFile := filepath.Join(dir, "prometheus.yml")
	must(t, os.WriteFile(promFile, []byte(config), 0o644))
	addr := startServer(t, "prometheus", prometheus, func(addr string) []string {
		return []string{"--config.file=" + promFile, "--storage.tsdb.path=" + filepath.Join(dir, "prom"), "--web.listen-address=" + addr, "--log.level=warn"}
	})
	return addr, instances
}

var forClause = regexp.MustCompile(`(?m)^(\s+)for: \S+$`)

// chain is one Alertmanager of TestAlertChain and the webhook its
// receivers post to.
type chain struct {
	name string
	hook *webhook
	addr string
}

// startChain starts an Alertmanager on the example configuration (with its
// inhibit rules or without them) whose receivers post to a new webhook.
func startChain(t *testing.T, alertmanager, dir, name string, inhibit bool) chain {
	t.Helper()
	hook := &webhook{groups: map[string][]webhookAlert{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := &http.Server{Handler: hook}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	amConfig := alertmanagerForTest(t, "examples/alertmanager.yml", "http://"+l.Addr().String()+"/", inhibit)
	amFile := filepath.Join(dir, name+".yml")
	must(t, os.WriteFile(amFile, amConfig, 0o644))
	addr := startServer(t, "alertmanager "+name, alertmanager, func(addr string) []string {
		return []string{"--config.file=" + amFile, "--storage.path=" + filepath.Join(dir, name), "--web.listen-address=" + addr,
			"--cluster.listen-address=", "--log.level=warn"}
	})
	return chain{name: name, hook: hook, addr: addr}
}

// TestAlertChain runs every fixture scenario through a real Prometheus with
// the shipped rules and two real Alertmanagers fed by it: one with the
// example configuration, one with the same configuration minus its inhibit
// rules. Both must deliver exactly the expected alerts, one per root cause,
// with their annotations rendered: the rules alone give one alert per
// cause, and the inhibit rules are a second line that changes nothing. Two
// things differ from production, for time: every "for:" is 0s (promtool
// tests check the real durations), and Alertmanager's timers are a few
// seconds and its receivers are the test's webhooks.
func TestAlertChain(t *testing.T) {
	prometheus, alertmanager := testenv.Tool(t, "prometheus"), testenv.Tool(t, "prometheus-alertmanager")
	dir := t.TempDir()

	rules, err := os.ReadFile("alerts/kmod_exporter.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	rulesFile := filepath.Join(dir, "rules.yml")
	must(t, os.WriteFile(rulesFile, forClause.ReplaceAll(rules, []byte("${1}for: 0s")), 0o644))

	chains := []chain{startChain(t, alertmanager, dir, "with-inhibit-rules", true), startChain(t, alertmanager, dir, "without-inhibit-rules", false)}
	prometheusOnScenarios(t, prometheus, dir, rulesFile, chains[0].addr, chains[1].addr)

	// Wait for every expected alert on both, then a fixed quiet window in
	// which nothing else may arrive (and inhibitions settle).
	matches := func(got map[string][]string) bool {
		for name, want := range expectedAlerts {
			if !slices.Equal(got[name], testenv.Sorted(want)) {
				return false
			}
		}
		return true
	}
	// Generous: under `go test ./...` the other packages' tests (the
	// mixin's jsonnet renders) share the two cores with this chain.
	deadline := time.Now().Add(120 * time.Second)
	for _, c := range chains {
		for time.Now().Before(deadline) {
			if got, _ := c.hook.byScenario(); matches(got) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	time.Sleep(8 * time.Second)
	for _, c := range chains {
		checkChain(t, c)
	}
}

// checkChain asserts that c's webhook holds exactly the expected alerts of
// every scenario, with rendered annotations.
func checkChain(t *testing.T, c chain) {
	t.Helper()
	got, all := c.hook.byScenario()
	for _, name := range fixtures.Names() {
		want, ok := expectedAlerts[name]
		if !ok {
			t.Errorf("%s: no expected alerts listed", name)
		}
		if !slices.Equal(got[name], testenv.Sorted(want)) {
			t.Errorf("%s, %s:\n got %q\nwant %q", c.name, name, got[name], testenv.Sorted(want))
		}
	}
	for _, a := range all {
		for _, k := range []string{"summary", "description", "fix", "runbook_url"} {
			v := a.Annotations[k]
			if v == "" || strings.Contains(v, "{{") || strings.Contains(v, "<no value>") {
				t.Errorf("%s: %s on %s: annotation %s is %q", c.name, a.Labels["alertname"], a.Labels["scenario"], k, v)
			}
		}
	}
	if t.Failed() {
		t.Logf("%s: all firing alerts: %+v", c.name, all)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// alertmanagerForTest is the example configuration with its receivers
// pointed at the test's webhook and its timers shortened, and without its
// inhibit rules unless inhibit.
func alertmanagerForTest(t *testing.T, path, url string, inhibit bool) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	var cfg yaml.MapSlice
	must(t, yaml.Unmarshal(data, &cfg))
	if !inhibit {
		n := len(cfg)
		cfg = slices.DeleteFunc(cfg, func(item yaml.MapItem) bool { return item.Key == "inhibit_rules" })
		if len(cfg) != n-1 {
			t.Fatalf("%s: no inhibit_rules to remove", path)
		}
	}
	for i, item := range cfg {
		switch item.Key {
		case "receivers":
			var receivers []yaml.MapSlice
			for _, r := range item.Value.([]any) {
				for _, kv := range r.(yaml.MapSlice) {
					if kv.Key == "name" {
						receivers = append(receivers, yaml.MapSlice{{Key: "name", Value: kv.Value},
							{Key: "webhook_configs", Value: []yaml.MapSlice{{{Key: "url", Value: url}, {Key: "send_resolved", Value: true}}}}})
					}
				}
			}
			cfg[i].Value = receivers
		case "route":
			route := item.Value.(yaml.MapSlice)
			for j, kv := range route {
				switch kv.Key {
				case "group_wait":
					route[j].Value = "3s"
				case "group_interval":
					route[j].Value = "2s"
				}
			}
		}
	}
	out, err := yaml.Marshal(cfg)
	must(t, err)
	return out
}
