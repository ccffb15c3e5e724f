package config

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// Load builds the required modules from --config.file (file) and --module
// (modules), or from the embedded default when neither is given. Each
// module's source says which: "config", "flag" or "default".
func Load(file string, modules []string) (kmod.RequirementSpec, error) {
	var reqs kmod.RequirementSpec
	for _, m := range modules {
		if err := kmod.ValidateName(m); err != nil {
			return reqs, fmt.Errorf("--module: %w", err)
		}
	}
	var (
		cfg    Config
		source string
		err    error
	)
	switch {
	case file != "":
		if cfg, err = parseFile(file); err != nil {
			return reqs, err
		}
		source = "config"
	case len(modules) == 0:
		if cfg, err = Parse(DefaultYAML); err != nil {
			return reqs, fmt.Errorf("embedded default: %w", err)
		}
		source = "default"
	}
	for _, m := range cfg.Modules {
		reqs.Modules = append(reqs.Modules, kmod.Requirement{Name: m, Source: source})
	}
	for _, m := range modules {
		reqs.Modules = append(reqs.Modules, kmod.Requirement{Name: m, Source: "flag"})
	}
	reqs.IncludeBoot = cfg.IncludeLoadOnBoot
	reqs.Rulesets = cfg.RulesetPaths()
	if cfg.Managers != nil {
		reqs.Managers = *cfg.Managers
	}
	return reqs, nil
}

// parseFile reads and parses --config.file; a mistake in it is an *Error
// naming the file.
func parseFile(name string) (Config, error) {
	data, err := readFile(name)
	if err != nil {
		return Config{}, fmt.Errorf("--config.file: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.File = name
			return Config{}, ce
		}
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

// maxFileBytes bounds --config.file: a real one is a few hundred bytes,
// and a huge one must not take the process past its memory limit.
const maxFileBytes = 1 << 20

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxFileBytes)
	}
	return data, nil
}
