package kmod

import (
	_ "embed"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v2"
)

// DefaultConfigYAML is the configuration used when the user gives none.
//
//go:embed default.yml
var DefaultConfigYAML []byte

// Config says which modules the host requires.
type Config struct {
	// Modules are required by name (or alias, e.g. ipt_recent).
	Modules []string `yaml:"modules"`
	// IncludeLoadOnBoot makes every module configured to load at boot
	// required as well.
	IncludeLoadOnBoot bool `yaml:"include_load_on_boot"`
	// Rulesets are firewall ruleset files (iptables-save or nftables) whose
	// rules make modules required. Omitted: DefaultRulesets; [] reads none.
	Rulesets *[]string `yaml:"rulesets"`
}

// DefaultRulesets are where Debian/Ubuntu (iptables-persistent), RHEL
// (iptables-services) and nftables keep the rules loaded at boot.
var DefaultRulesets = []string{"/etc/iptables/rules.v4", "/etc/iptables/rules.v6", "/etc/sysconfig/iptables", "/etc/sysconfig/ip6tables", "/etc/nftables.conf"}

// RulesetPaths are the ruleset files to read.
func (c Config) RulesetPaths() []string {
	if c.Rulesets == nil {
		return DefaultRulesets
	}
	return *c.Rulesets
}

// maxConfigModules and maxConfigRulesets bound the label cardinality a
// config can create.
const (
	maxConfigModules  = 1000
	maxConfigRulesets = 100
)

// ParseConfig parses and validates a YAML configuration. Unknown keys are
// errors, so a typo does not silently drop a requirement.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return Config{}, fmt.Errorf("not a valid configuration: %w", err)
	}
	if len(c.Modules) > maxConfigModules {
		return Config{}, fmt.Errorf("%d modules listed, at most %d allowed", len(c.Modules), maxConfigModules)
	}
	for i, m := range c.Modules {
		if err := ValidateName(m); err != nil {
			return Config{}, fmt.Errorf("modules[%d]: %w", i, err)
		}
	}
	if c.Rulesets != nil {
		if len(*c.Rulesets) > maxConfigRulesets {
			return Config{}, fmt.Errorf("%d rulesets listed, at most %d allowed", len(*c.Rulesets), maxConfigRulesets)
		}
		for i, p := range *c.Rulesets {
			if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) || len(p) > 4096 {
				return Config{}, fmt.Errorf("rulesets[%d]: %q is not an absolute path on the host", i, p)
			}
		}
	}
	return c, nil
}
