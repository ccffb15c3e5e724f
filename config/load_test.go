package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func writeConfig(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadSources: each module says where it was asked for; the default
// applies only when neither the file nor a flag is given.
func TestLoadSources(t *testing.T) {
	file := writeConfig(t, []byte("modules: [xt_recent]\nrulesets: []\n"))
	for _, c := range []struct {
		name    string
		file    string
		modules []string
		want    kmod.RequirementSpec
	}{
		{"default", "", nil, kmod.RequirementSpec{IncludeBoot: true, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}},
		{"flags", "", []string{"xt_set"}, kmod.RequirementSpec{Modules: []kmod.Requirement{{Name: "xt_set", Source: "flag"}}, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}},
		{"file and flag", file, []string{"xt_set"}, kmod.RequirementSpec{Modules: []kmod.Requirement{{Name: "xt_recent", Source: "config"}, {Name: "xt_set", Source: "flag"}}, Rulesets: kmod.RulesetPaths()}},
	} {
		got, err := Load(c.file, c.modules)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v %v, want %+v", c.name, got, err, c.want)
		}
	}
}

// TestLoadErrors: the messages a user sees at start and on --config.check.
func TestLoadErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yml")
	bad := writeConfig(t, []byte("modules:\n  - nf_conntrack\ninclude_load_on_bot: true\n"))
	huge := writeConfig(t, []byte("# "+strings.Repeat("x", maxFileBytes)+"\n"))
	for _, c := range []struct {
		file    string
		modules []string
		want    string
	}{
		{"", []string{"../x"}, `--module: module name "../x" has byte '.' at offset 0: only letters, digits, '-' and '_' are allowed`},
		{missing, nil, "--config.file: open " + missing + ": no such file or directory"},
		{bad, nil, bad + ":3: include_load_on_bot: unknown key; allowed keys: modules, include_load_on_boot, rulesets, managers"},
		{huge, nil, "--config.file: " + huge + ": larger than 1048576 bytes"},
	} {
		if _, err := Load(c.file, c.modules); err == nil || err.Error() != c.want {
			t.Errorf("%q %q:\n got %v\nwant %s", c.file, c.modules, err, c.want)
		}
	}
}
