package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// TestErrors: each mistake is reported with its line, its key and what is
// allowed, in the user's words rather than Go's types.
func TestErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"modules: [nf_conntrack]\nfoo: 1\n", `line 2: foo: unknown key; allowed keys: modules, include_load_on_boot, rulesets, managers`},
		{"modules:\n  - nf_conntrack\n  - ../x\n", `line 3: modules[1]: module name "../x" has byte '.' at offset 0: only letters, digits, '-' and '_' are allowed`},
		{"modules: nf_conntrack\n", `line 1: modules: "nf_conntrack" is not allowed: a list of module names, e.g. [a, b] or one "- item" a line`},
		{"modules:\n  - {a: 1}\n", `line 2: modules[0]: a mapping is not allowed: a module name or alias (letters, digits, '-' and '_', at most 63 bytes)`},
		{"include_load_on_boot: sometimes\n", `line 1: include_load_on_boot: "sometimes" is not allowed: true or false`},
		{"managers: [ufw, nosuch]\n", `line 1: managers[1]: "nosuch" is not allowed: one of ipsets, ufw, fail2ban, docker, kube-proxy, firewalld`},
		{"managers: ufw\n", `line 1: managers: "ufw" is not allowed: a list of firewall managers (ipsets, ufw, fail2ban, docker, kube-proxy, firewalld), e.g. [a, b] or one "- item" a line`},
		{"rulesets: [etc/nftables.conf]\n", `line 1: rulesets[0]: "etc/nftables.conf" is not allowed: an absolute path on the host (at most 4096 bytes), e.g. /etc/nftables.conf, or a glob of them, e.g. /etc/nftables.d/*.nft`},
		{"rulesets: [\"/etc/nftables.d/[a-.nft\"]\n", `line 1: rulesets[0]: "/etc/nftables.d/[a-.nft" is not a valid glob (unclosed [ or a trailing \): syntax error in pattern`},
		{"modules: [a]\nmodules: [b]\n", `line 2: modules: given twice (first on line 1)`},
		// A rulesets item as a mapping: each mistake names the item's key
		// and its own line.
		{"rulesets:\n  - /etc/iptables/rules.v4\n  - {path: /srv/fw/rules, fam: ipv6}\n", `line 3: rulesets[1].fam: unknown key; allowed keys: path, format, family`},
		{"rulesets:\n  - path: /srv/fw/rules\n    format: iptables\n", `line 3: rulesets[0].format: "iptables" is not allowed: one of iptables-save, nftables`},
		{"rulesets:\n  - path: /srv/fw/rules\n    format: [nftables]\n", `line 3: rulesets[0].format: a list is not allowed: one of iptables-save, nftables`},
		{"rulesets:\n  - path: /srv/fw/rules\n\n    family: inet6\n", `line 4: rulesets[0].family: "inet6" is not allowed: one of ipv4, ipv6`},
		{"rulesets:\n  - path: /srv/fw/rules\n    family:\n", `line 3: rulesets[0].family: "" is not allowed: one of ipv4, ipv6`},
		{"rulesets:\n  - path: /srv/fw/rules\n    format: nftables\n    family: ipv4\n", `line 4: rulesets[0].family: only iptables-save files have a family, and format is nftables: an nftables file names the family of each table`},
		{"rulesets:\n  - {family: ipv6, path: /etc/nftables.d/*.nft}\n", `line 2: rulesets[0].family: only iptables-save files have a family, and the name *.nft is an nftables file (give format: iptables-save if it is not): an nftables file names the family of each table`},
		{"rulesets:\n  - /etc/iptables/rules.v4\n  - format: nftables\n", `line 3: rulesets[1]: path is missing: a mapping of path, format, family needs path, e.g. {path: /etc/iptables/rules-save, family: ipv6}`},
		{"rulesets:\n  - {}\n", `line 2: rulesets[0]: path is missing: a mapping of path, format, family needs path, e.g. {path: /etc/iptables/rules-save, family: ipv6}`},
		{"rulesets:\n  - format: nftables\n    path: srv/fw.nft\n", `line 3: rulesets[0].path: "srv/fw.nft" is not allowed: an absolute path on the host (at most 4096 bytes), e.g. /etc/nftables.conf, or a glob of them, e.g. /etc/nftables.d/*.nft`},
		{"rulesets:\n  - path: /srv/fw/rules\n    path: /srv/fw/rules6\n", `line 3: rulesets[0].path: given twice (first on line 2)`},
		{"rulesets:\n  - {path: \"/srv/[fw\"}\n", `line 2: rulesets[0].path: "/srv/[fw" is not a valid glob (unclosed [ or a trailing \): syntax error in pattern`},
		{"rulesets:\n  - [/srv/fw/rules]\n", `line 2: rulesets[0]: a list is not allowed: an absolute path on the host (at most 4096 bytes), e.g. /etc/nftables.conf, or a glob of them, e.g. /etc/nftables.d/*.nft; or a mapping, e.g. {path: /srv/fw/rules, format: iptables-save, family: ipv6}`},
		{"rulesets: /etc/nftables.conf\n", `line 1: rulesets: "/etc/nftables.conf" is not allowed: a list of ruleset files (absolute paths, or mappings of path, format, family), e.g. [a, b] or one "- item" a line`},
		{"modules: [a\n", `line 1: not valid YAML: did not find expected ',' or ']'`},
		{"- a\n", `line 1: the configuration must be a mapping of keys; allowed keys: modules, include_load_on_boot, rulesets, managers`},
		{"\x00\x01", `not valid YAML: control characters are not allowed`},
		{"modules: [\"a/b\"]", `line 1: modules[0]: module name "a/b" has byte '/' at offset 1: only letters, digits, '-' and '_' are allowed`},
	} {
		_, err := Parse([]byte(c.in))
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%q: %v, want an *Error", c.in, err)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, err, c.want)
		}
		ce.File = "/etc/kmod_exporter/config.yml"
		want := ce.File + ": "
		if ce.Line > 0 {
			want = fmt.Sprintf("%s:%d: ", ce.File, ce.Line)
		}
		if !strings.HasPrefix(ce.Error(), want) {
			t.Errorf("with the file: %s", ce)
		}
	}
}

// TestValues: what the parser accepts decodes to the same Config as
// before (yes/no booleans, null lists, aliases).
func TestValues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Config
	}{
		{"", Config{}},
		{"# only a comment\n", Config{}},
		{"modules:\ninclude_load_on_boot: yes\n", Config{IncludeLoadOnBoot: true}},
		{"modules: [nf_conntrack, 8021q]\nrulesets: []\n", Config{Modules: []string{"nf_conntrack", "8021q"}, Rulesets: &[]kmod.RulesetPath{}}},
		{"managers: [ufw, firewalld]\n", Config{Managers: &[]string{"ufw", "firewalld"}}},
		{"managers: []\n", Config{Managers: &[]string{}}},
		{"rulesets: [/etc/nftables.conf]\nmodules: [xt_recent]\n", Config{Modules: []string{"xt_recent"}, Rulesets: &[]kmod.RulesetPath{{Path: "/etc/nftables.conf"}}}},
		// Globs are expanded on the host at each scrape.
		{"rulesets: [\"/etc/nftables.d/*.nft\", \"/etc/iptables/rules.v[46]\"]\n", Config{Rulesets: &[]kmod.RulesetPath{{Path: "/etc/nftables.d/*.nft"}, {Path: "/etc/iptables/rules.v[46]"}}}},
		// An item as a mapping says the format and family its name
		// cannot; a string leaves both to the name.
		{"rulesets:\n  - /etc/iptables/rules.v4\n  - {path: /srv/fw/rules, format: iptables-save, family: ipv6}\n  - path: /srv/fw/*.conf\n    format: nftables\n  - {path: /var/lib/ip6tables/rules-save, family: ipv4}\n  - {path: /srv/fw/all}\n",
			Config{Rulesets: &[]kmod.RulesetPath{{Path: "/etc/iptables/rules.v4"}, {Path: "/srv/fw/rules", Format: "iptables-save", Family: "ipv6"}, {Path: "/srv/fw/*.conf", Format: "nftables"}, {Path: "/var/lib/ip6tables/rules-save", Family: "ipv4"}, {Path: "/srv/fw/all"}}}},
		// A family with an nftables-named file is fine once the format
		// says iptables-save.
		{"rulesets: [{path: /etc/fw/v6.nft, format: iptables-save, family: ipv6}]\n", Config{Rulesets: &[]kmod.RulesetPath{{Path: "/etc/fw/v6.nft", Format: "iptables-save", Family: "ipv6"}}}},
	} {
		got, err := Parse([]byte(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
	if got, err := Parse([]byte("modules: &m [nf_conntrack]\ninclude_load_on_boot: true\n")); err != nil || !reflect.DeepEqual(got.Modules, []string{"nf_conntrack"}) {
		t.Errorf("an anchored list: %+v %v", got, err)
	}
	if got, err := Parse([]byte("rulesets:\n")); err != nil || got.Rulesets != nil || !reflect.DeepEqual(got.RulesetPaths(), kmod.RulesetPaths(kmod.DefaultRulesets...)) {
		t.Errorf("rulesets with no value: %+v %v, want the standard paths", got, err)
	}
}

// TestDefault: the embedded default names no module (nf_conntrack is
// required only where something tracks connections) but what loads at
// boot, and reads the standard ruleset paths.
func TestDefault(t *testing.T) {
	c, err := Parse(DefaultYAML)
	if err != nil || len(c.Modules) != 0 || !c.IncludeLoadOnBoot || c.Rulesets != nil {
		t.Errorf("embedded default: %+v %v", c, err)
	}
}

// TestLimits: a configuration cannot list more modules or rulesets than
// the label cardinality allows.
func TestLimits(t *testing.T) {
	many := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+", ", n), ", ") + "]"
	}
	for _, c := range []struct{ in, want string }{
		{"modules: " + many(maxModules+1, "a"), `line 1: modules: 1001 modules listed, at most 1000 allowed`},
		{"rulesets: " + many(maxRulesets+1, "/a"), `line 1: rulesets: 101 rulesets listed, at most 100 allowed`},
	} {
		if _, err := Parse([]byte(c.in)); err == nil || err.Error() != c.want {
			t.Errorf("%.30q: %v, want %s", c.in, err, c.want)
		}
	}
	if c, err := Parse([]byte("modules: " + many(maxModules, "a"))); err != nil || len(c.Modules) != maxModules {
		t.Errorf("%d modules: %d parsed, %v", maxModules, len(c.Modules), err)
	}
}

// FuzzParse: no input makes the parser panic, and what it accepts has
// only valid module names and absolute ruleset paths.
func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML)
	f.Add([]byte("modules: &m [nf_conntrack]\nrulesets: [/etc/nftables.conf]\nx: *m\n"))
	f.Add([]byte("rulesets:\n  - /etc/iptables/rules.v4\n  - {path: /srv/fw/rules, format: iptables-save, family: ipv6}\n  - path: /srv/fw/*.conf\n    format: nftables\n"))
	f.Add([]byte("rulesets:\n  - &r {path: /srv/fw/rules, family: ipv4}\n  - *r\n  - {path: /etc/nftables.conf, family: ipv6}\n  - {format: nftables, path: [/a]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, m := range c.Modules {
			if kmod.ValidateName(m) != nil {
				t.Fatalf("accepted module %q", m)
			}
		}
		for _, p := range c.RulesetPaths() {
			if !strings.HasPrefix(p.Path, "/") {
				t.Fatalf("accepted ruleset %q", p.Path)
			}
			// A family only with a file read as iptables-save.
			format, _ := kmod.RulesetFormat(p.Path)
			if p.Format != "" {
				format = p.Format
			}
			if !slices.Contains(rulesetFormats, format) || (p.Family != "" && (format != kmod.FormatIptables || !slices.Contains(rulesetFamilies, p.Family))) {
				t.Fatalf("accepted ruleset %+v", p)
			}
		}
	})
}
