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
	// the files it matches at each scrape. An item is a path, or a mapping
	// of path, format and family (rulesetKeys); what it leaves out is told
	// from each file's name. Omitted: kmod.DefaultRulesets; [] reads none.
	Rulesets *[]kmod.RulesetPath `yaml:"rulesets"`
	// Managers are the firewall managers (kmod.ManagerNames) whose own
	// configuration is read while the host uses them. Omitted: every one;
	// [] reads none.
	Managers *[]string `yaml:"managers"`
}

// RulesetPaths are the ruleset files to read.
func (c Config) RulesetPaths() []kmod.RulesetPath {
	if c.Rulesets == nil {
		return kmod.RulesetPaths(kmod.DefaultRulesets...)
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

// rulesetKeys are the keys of a rulesets item given as a mapping.
var rulesetKeys = []string{"path", "format", "family"}

// rulesetFormats and rulesetFamilies are the values format and family
// may take.
var (
	rulesetFormats  = []string{kmod.FormatIptables, kmod.FormatNftables}
	rulesetFamilies = []string{kmod.FamilyIPv4, kmod.FamilyIPv6}
)

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

func parseRulesets(n *yaml.Node) (*[]kmod.RulesetPath, *Error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil // as if omitted: the standard paths
	}
	items, err := list("rulesets", n, "ruleset files (absolute paths, or mappings of "+strings.Join(rulesetKeys, ", ")+")")
	if err != nil {
		return nil, err
	}
	if len(items) > maxRulesets {
		return nil, &Error{Line: n.Line, Key: "rulesets", Msg: fmt.Sprintf("%d rulesets listed, at most %d allowed", len(items), maxRulesets)}
	}
	entries := []kmod.RulesetPath{}
	for i, item := range items {
		item = resolve(item)
		key := fmt.Sprintf("rulesets[%d]", i)
		var e kmod.RulesetPath
		if item.Kind == yaml.MappingNode {
			e, err = parseRulesetMapping(key, item)
		} else if e.Path, err = parseRulesetPath(key, item); err != nil && item.Kind != yaml.ScalarNode {
			err.Msg += "; or a mapping, e.g. {path: /srv/fw/rules, format: iptables-save, family: ipv6}"
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return &entries, nil
}

// parseRulesetPath checks a ruleset's path or glob.
func parseRulesetPath(key string, n *yaml.Node) (string, *Error) {
	p := n.Value
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) || len(p) > 4096 {
		return "", &Error{Line: n.Line, Key: key, Msg: describe(n) + " is not allowed: an absolute path on the host (at most 4096 bytes), e.g. /etc/nftables.conf, or a glob of them, e.g. /etc/nftables.d/*.nft"}
	}
	// A glob is expanded on the host at each scrape; its syntax can be
	// checked now.
	if _, err := path.Match(p, ""); err != nil {
		return "", &Error{Line: n.Line, Key: key, Msg: describe(n) + " is not a valid glob (unclosed [ or a trailing \\): " + err.Error()}
	}
	return p, nil
}

// parseRulesetMapping reads a rulesets item given as a mapping:
// {path: /srv/fw/rules, format: iptables-save, family: ipv6}.
func parseRulesetMapping(key string, n *yaml.Node) (kmod.RulesetPath, *Error) {
	var e kmod.RulesetPath
	seen := map[string]int{}
	var familyLine int
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := resolve(n.Content[j]), resolve(n.Content[j+1])
		sub := key + "." + k.Value
		if prev, dup := seen[k.Value]; dup {
			return e, &Error{Line: k.Line, Key: sub, Msg: fmt.Sprintf("given twice (first on line %d)", prev)}
		}
		seen[k.Value] = k.Line
		var err *Error
		switch k.Value {
		case "path":
			e.Path, err = parseRulesetPath(sub, v)
		case "format":
			e.Format, err = oneOf(sub, v, rulesetFormats)
		case "family":
			e.Family, err = oneOf(sub, v, rulesetFamilies)
			familyLine = k.Line
		default:
			err = &Error{Line: k.Line, Key: sub, Msg: "unknown key; allowed keys: " + strings.Join(rulesetKeys, ", ")}
		}
		if err != nil {
			return e, err
		}
	}
	if _, ok := seen["path"]; !ok {
		return e, &Error{Line: n.Line, Key: key, Msg: "path is missing: a mapping of " + strings.Join(rulesetKeys, ", ") + " needs path, e.g. {path: /etc/iptables/rules-save, family: ipv6}"}
	}
	if e.Family == "" {
		return e, nil
	}
	// nft names the family in each table (table ip6 f), so a family
	// could only contradict the file. Without a format, the path's name
	// tells it (a glob: each match's, and only iptables-save ones take
	// the family).
	format := e.Format
	if format == "" {
		format, _ = kmod.RulesetFormat(e.Path)
	}
	if format == kmod.FormatNftables {
		why := "format is nftables"
		if e.Format == "" {
			why = "the name " + path.Base(e.Path) + " is an nftables file (give format: iptables-save if it is not)"
		}
		return e, &Error{Line: familyLine, Key: key + ".family", Msg: "only iptables-save files have a family, and " + why + ": an nftables file names the family of each table"}
	}
	return e, nil
}

// oneOf checks that a scalar is one of allowed.
func oneOf(key string, n *yaml.Node, allowed []string) (string, *Error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || !slices.Contains(allowed, n.Value) {
		return "", &Error{Line: n.Line, Key: key, Msg: describe(n) + " is not allowed: one of " + strings.Join(allowed, ", ")}
	}
	return n.Value, nil
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
		name, err := oneOf(fmt.Sprintf("managers[%d]", i), resolve(item), known)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return &names, nil
}
