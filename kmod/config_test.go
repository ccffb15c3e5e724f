package kmod

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestConfigErrors: each mistake is reported with its line, its key and
// what is allowed, in the user's words rather than Go's types.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"modules: [nf_conntrack]\nfoo: 1\n", `line 2: foo: unknown key; allowed keys: modules, include_load_on_boot, rulesets`},
		{"modules:\n  - nf_conntrack\n  - ../x\n", `line 3: modules[1]: module name "../x" has byte '.' at offset 0: only letters, digits, '-' and '_' are allowed`},
		{"modules: nf_conntrack\n", `line 1: modules: "nf_conntrack" is not allowed: a list of module names, e.g. [a, b] or one "- item" a line`},
		{"modules:\n  - {a: 1}\n", `line 2: modules[0]: a mapping is not allowed: a module name or alias (letters, digits, '-' and '_', at most 63 bytes)`},
		{"include_load_on_boot: sometimes\n", `line 1: include_load_on_boot: "sometimes" is not allowed: true or false`},
		{"rulesets: [etc/nftables.conf]\n", `line 1: rulesets[0]: "etc/nftables.conf" is not allowed: an absolute path on the host (at most 4096 bytes), e.g. /etc/nftables.conf`},
		{"modules: [a]\nmodules: [b]\n", `line 2: modules: given twice (first on line 1)`},
		{"modules: [a\n", `line 1: not valid YAML: did not find expected ',' or ']'`},
		{"- a\n", `line 1: the configuration must be a mapping of keys; allowed keys: modules, include_load_on_boot, rulesets`},
	} {
		_, err := ParseConfig([]byte(c.in))
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%q: %v, want a *ConfigError", c.in, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, err, c.want)
		}
		ce.File = "/etc/kmod_exporter/config.yml"
		if want := fmt.Sprintf("%s:%d: ", ce.File, ce.Line); !strings.HasPrefix(ce.Error(), want) {
			t.Errorf("with the file: %s", ce)
		}
	}
}

// TestConfigValues: what the parser accepts decodes to the same Config as
// before (yes/no booleans, null lists, aliases).
func TestConfigValues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Config
	}{
		{"", Config{}},
		{"# only a comment\n", Config{}},
		{"modules:\ninclude_load_on_boot: yes\n", Config{IncludeLoadOnBoot: true}},
		{"modules: [nf_conntrack, 8021q]\nrulesets: []\n", Config{Modules: []string{"nf_conntrack", "8021q"}, Rulesets: &[]string{}}},
		{"rulesets: [/etc/nftables.conf]\nmodules: [xt_recent]\n", Config{Modules: []string{"xt_recent"}, Rulesets: &[]string{"/etc/nftables.conf"}}},
	} {
		got, err := ParseConfig([]byte(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
	if got, err := ParseConfig([]byte("modules: &m [nf_conntrack]\ninclude_load_on_boot: true\n")); err != nil || !reflect.DeepEqual(got.Modules, []string{"nf_conntrack"}) {
		t.Errorf("an anchored list: %+v %v", got, err)
	}
	if got, err := ParseConfig([]byte("rulesets:\n")); err != nil || got.Rulesets != nil || len(got.RulesetPaths()) != len(DefaultRulesets) {
		t.Errorf("rulesets with no value: %+v %v, want the standard paths", got, err)
	}
}
