// Package config is the exporter's configuration: the YAML file and its
// validation, the --config.file and --module flags turned into the model's
// kmod.RequirementSpec, and the reloader behind SIGHUP and POST /-/reload.
package config

import (
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// DefaultYAML is the configuration used when the user gives none.
//
//go:embed default.yml
var DefaultYAML []byte

// Config says which modules the host requires.
type Config struct {
	// Modules are required by name (or alias, e.g. ipt_recent).
	Modules []string `yaml:"modules"`
	// IncludeLoadOnBoot makes every module configured to load at boot
	// required as well.
	IncludeLoadOnBoot bool `yaml:"include_load_on_boot"`
	// Rulesets are firewall ruleset files (iptables-save or nftables) whose
	// rules make modules required; a glob (/etc/nftables.d/*.nft) names
	// the files it matches at each scrape. Omitted: kmod.DefaultRulesets;
	// [] reads none.
	Rulesets *[]string `yaml:"rulesets"`
	// Managers are the firewall managers (kmod.ManagerNames) whose own
	// configuration is read while the host uses them. Omitted: every one;
	// [] reads none.
	Managers *[]string `yaml:"managers"`
}

// RulesetPaths are the ruleset files to read.
func (c Config) RulesetPaths() []string {
	if c.Rulesets == nil {
		return kmod.DefaultRulesets
	}
	return *c.Rulesets
}

// maxModules and maxRulesets bound the label cardinality a config can
// create.
const (
	maxModules  = 1000
	maxRulesets = 100
)

// Keys are the keys a configuration may have, in the order the
// documentation lists them.
var Keys = []string{"modules", "include_load_on_boot", "rulesets", "managers"}

// Error is one mistake in a configuration, located so that a user can go
// to it: the file (set by whoever read it), the line, the key, and what is
// allowed there.
type Error struct {
	File string // "" when the caller did not say
	Line int    // 0 when the mistake has no line (too many entries)
	Key  string // e.g. "modules[2]"; "" for the document itself
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// yamlLine finds the line in the YAML library's syntax errors
// ("yaml: line 3: did not find expected ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses and validates a YAML configuration. Unknown keys are
// errors, so a typo does not silently drop a requirement. Errors are
// *Error, which says where the mistake is and what is allowed.
func Parse(data []byte) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return Config{}, &Error{Line: line, Msg: "not valid YAML: " + msg}
	}
	var c Config
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return c, nil // an empty file: the defaults
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	allowed := "allowed keys: " + strings.Join(Keys, ", ")
	if root.Kind != yaml.MappingNode {
		return Config{}, &Error{Line: root.Line, Msg: "the configuration must be a mapping of keys; " + allowed}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolve(root.Content[i]), resolve(root.Content[i+1])
		if prev, dup := seen[k.Value]; dup {
			return Config{}, &Error{Line: k.Line, Key: k.Value, Msg: fmt.Sprintf("given twice (first on line %d)", prev)}
		}
		seen[k.Value] = k.Line
		var err *Error
		switch k.Value {
		case "modules":
			c.Modules, err = parseModules(v)
		case "include_load_on_boot":
			// Decode accepts YAML 1.1's yes/no too, as the earlier parser did.
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Decode(&c.IncludeLoadOnBoot) != nil {
				err = &Error{Line: v.Line, Key: k.Value, Msg: describe(v) + " is not allowed: true or false"}
			}
		case "rulesets":
			c.Rulesets, err = parseRulesets(v)
		case "managers":
			c.Managers, err = parseManagers(v)
		default:
			err = &Error{Line: k.Line, Key: k.Value, Msg: "unknown key; " + allowed}
		}
		if err != nil {
			return Config{}, err
		}
	}
	return c, nil
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names a node's kind in a user's words.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if len(n.Value) > 40 {
		return fmt.Sprintf("%.40q…", n.Value)
	}
	return strconv.Quote(n.Value)
}

// list returns the items of a list; null (the key with no value) is an
// empty list.
func list(key string, n *yaml.Node, what string) ([]*yaml.Node, *Error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &Error{Line: n.Line, Key: key, Msg: fmt.Sprintf("%s is not allowed: a list of %s, e.g. [a, b] or one \"- item\" a line", describe(n), what)}
	}
	return n.Content, nil
}

func parseModules(n *yaml.Node) ([]string, *Error) {
	items, err := list("modules", n, "module names")
	if err != nil {
		return nil, err
	}
	if len(items) > maxModules {
		return nil, &Error{Line: n.Line, Key: "modules", Msg: fmt.Sprintf("%d modules listed, at most %d allowed", len(items), maxModules)}
	}
	var modules []string
	for i, item := range items {
		item = resolve(item)
		key := fmt.Sprintf("modules[%d]", i)
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			return nil, &Error{Line: item.Line, Key: key, Msg: describe(item) + " is not allowed: a module name or alias (letters, digits, '-' and '_', at most 63 bytes)"}
		}
		if verr := kmod.ValidateName(item.Value); verr != nil {
			return nil, &Error{Line: item.Line, Key: key, Msg: verr.Error()}
		}
		modules = append(modules, item.Value)
	}
	return modules, nil
}

func parseRulesets(n *yaml.Node) (*[]string, *Error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil // as if omitted: the standard paths
	}
	items, err := list("rulesets", n, "absolute paths of ruleset files")
	if err != nil {
		return nil, err
	}
	if len(items) > maxRulesets {
		return nil, &Error{Line: n.Line, Key: "rulesets", Msg: fmt.Sprintf("%d rulesets listed, at most %d allowed", len(items), maxRulesets)}
	}
	paths := []string{}
	for i, item := range items {
		item = resolve(item)
		p := item.Value
		if item.Kind != yaml.ScalarNode || !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) || len(p) > 4096 {
			return nil, &Error{Line: item.Line, Key: fmt.Sprintf("rulesets[%d]", i), Msg: describe(item) + " is not allowed: an absolute path on the host (at most 4096 bytes), e.g. /etc/nftables.conf, or a glob of them, e.g. /etc/nftables.d/*.nft"}
		}
		// A glob is expanded on the host at each scrape; its syntax can
		// be checked now.
		if _, err := path.Match(p, ""); err != nil {
			return nil, &Error{Line: item.Line, Key: fmt.Sprintf("rulesets[%d]", i), Msg: describe(item) + " is not a valid glob (unclosed [ or a trailing \\): " + err.Error()}
		}
		paths = append(paths, p)
	}
	return &paths, nil
}

func parseManagers(n *yaml.Node) (*[]string, *Error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil // as if omitted: every manager
	}
	known := kmod.ManagerNames()
	items, err := list("managers", n, "firewall managers ("+strings.Join(known, ", ")+")")
	if err != nil {
		return nil, err
	}
	names := []string{}
	for i, item := range items {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode || !slices.Contains(known, item.Value) {
			return nil, &Error{Line: item.Line, Key: fmt.Sprintf("managers[%d]", i), Msg: describe(item) + " is not allowed: one of " + strings.Join(known, ", ")}
		}
		names = append(names, item.Value)
	}
	return &names, nil
}
