package kmod

import (
	_ "embed"
	"fmt"

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
}

// maxConfigModules bounds the label cardinality a config can create.
const maxConfigModules = 1000

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
	return c, nil
}
