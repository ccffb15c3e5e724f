package e2e

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runOutputs runs the exporter to completion and returns stdout, stderr
// and the exit status.
func runOutputs(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatal(err)
	return "", "", -1
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(body)
}

var versionLine = regexp.MustCompile(`(?m)^kmod_exporter, version (\S+) `)

// TestVersionWithoutLdflags: a binary built without `make build`'s ldflags
// (go build, go install) shows the main module's version from its build
// info, as `go version -m` reads it, on --version, the landing page and
// kmod_exporter_build_info; ldflags, when given, win.
func TestVersionWithoutLdflags(t *testing.T) {
	out, err := exec.Command("go", "version", "-m", binary).Output()
	must(t, err)
	m := regexp.MustCompile(`(?m)^\s+mod\s+github.com/kmod-exporter/kmod_exporter\s+(\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("go version -m names no main module:\n%s", out)
	}
	want := string(m[1])
	stdout, stderr, code := runOutputs(t, binary, "--version")
	got := versionLine.FindStringSubmatch(stdout + stderr)
	if code != 0 || got == nil || got[1] != want {
		t.Fatalf("--version: exit %d, %q; want version %s", code, stdout+stderr, want)
	}
	e := startExporter(t, scenarioArgs("healthy")...)
	if _, page := get(t, "http://"+e.addr+"/"); !strings.Contains(page, "version="+want) {
		t.Errorf("the landing page does not show version=%s", want)
	}
	if !strings.Contains(e.scrape(t), `version="`+want+`"`) {
		t.Errorf("kmod_exporter_build_info lacks version=%q", want)
	}

	stamped := filepath.Join(t.TempDir(), "kmod_exporter")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/prometheus/common/version.Version=9.8.7", "-o", stamped, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	stdout, stderr, _ = runOutputs(t, stamped, "--version")
	if got := versionLine.FindStringSubmatch(stdout + stderr); got == nil || got[1] != "9.8.7" {
		t.Errorf("stamped build: %q", stdout+stderr)
	}
}

// TestLandingPageLinks: every link on the landing page answers 200; pprof
// is not served, so it is not linked.
func TestLandingPageLinks(t *testing.T) {
	e := startExporter(t, scenarioArgs("healthy")...)
	code, page := get(t, "http://"+e.addr+"/")
	if code != 200 {
		t.Fatalf("landing page: %d", code)
	}
	links := regexp.MustCompile(`href="([^"#:]+)"`).FindAllStringSubmatch(page, -1)
	if len(links) == 0 {
		t.Fatal("no links on the landing page")
	}
	for _, l := range links {
		target := "/" + strings.TrimPrefix(l[1], "/")
		if code, _ := get(t, "http://"+e.addr+target); code != 200 {
			t.Errorf("landing page links %s, which answers %d", target, code)
		}
	}
	if strings.Contains(page, "debug/pprof") {
		t.Error("the landing page links pprof, which is not served")
	}
}

// TestLifecycleOffByDefault: POST /-/reload is refused unless
// --web.enable-lifecycle is given (TestReload covers it given), and the
// refusal changes nothing and names the flag.
func TestLifecycleOffByDefault(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	must(t, os.WriteFile(cfg, []byte("modules: [xt_recent]\nrulesets: []\n"), 0o644))
	e := startExporter(t, append(scenarioArgs("healthy"), "--config.file="+cfg)...)
	must(t, os.WriteFile(cfg, []byte("modules: [xt_set]\nrulesets: []\n"), 0o644))
	resp, err := http.Post("http://"+e.addr+"/-/reload", "", nil)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "--web.enable-lifecycle") {
		t.Errorf("POST /-/reload without the flag: %d %q", resp.StatusCode, body)
	}
	if m := e.scrape(t); !strings.Contains(m, `kmod_module_required{module="xt_recent",source="config"} 1`) || strings.Contains(m, `module="xt_set"`) {
		t.Error("a refused reload changed the configuration")
	}
}

// TestConfigErrorSaidOnce: an invalid configuration is reported once, with
// the file, the line, the key and what is allowed, and no Go type names.
func TestConfigErrorSaidOnce(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	must(t, os.WriteFile(cfg, []byte("modules:\n  - nf_conntrack\ninclude_load_on_bot: true\n"), 0o644))
	want := cfg + `:3: include_load_on_bot: unknown key; allowed keys: modules, include_load_on_boot, rulesets, managers`
	stdout, stderr, code := runOutputs(t, binary, "--config.file="+cfg, "--config.check")
	if code != 1 || stdout != "" || stderr != "configuration invalid: "+want+"\n" {
		t.Errorf("--config.check: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	_, stderr, code = runOutputs(t, binary, "--config.file="+cfg)
	if code != 2 || strings.Count(stderr, "\n") != 1 || strings.Count(stderr, "include_load_on_bot") != 1 || !strings.Contains(stderr, `:3: include_load_on_bot: unknown key`) {
		t.Errorf("at start: exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stderr, "kmod.Config") {
		t.Error("the message names a Go type")
	}
}
