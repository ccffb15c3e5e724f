package kmod

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
	"io"
	"io/fs"
	"strings"
)

//go:embed kconfig_netfilter.txt
var kconfigTable []byte

// moduleSymbols maps netfilter modules to the configuration symbol that
// builds them.
var moduleSymbols = parseSymbolTable(kconfigTable)

func parseSymbolTable(data []byte) map[string]string {
	m := map[string]string{}
	eachLine(data, func(line []byte, _ int) {
		f := strings.Fields(string(line))
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			m[f[0]] = f[1]
		}
	})
	return m
}

// ConfigSymbol returns the CONFIG_ symbol that builds a netfilter module.
func ConfigSymbol(module string) (string, bool) {
	s, ok := moduleSymbols[module]
	return s, ok
}

// KernelConfig is a kernel's build configuration: symbol -> value ("y",
// "m", or a string); symbols "is not set" have the value "n".
type KernelConfig map[string]string

// Tristate is the symbol's y/m/n value; a symbol the configuration does not
// mention at all is "n", as the kernel build treats it.
func (c KernelConfig) Tristate(symbol string) string {
	switch v := c[symbol]; v {
	case "y", "m":
		return v
	}
	return "n"
}

// ParseKernelConfig parses a .config: "CONFIG_X=value" and
// "# CONFIG_X is not set".
func ParseKernelConfig(data []byte) KernelConfig {
	c := KernelConfig{}
	eachLine(data, func(line []byte, _ int) {
		l := string(bytes.TrimSpace(line))
		if strings.HasPrefix(l, "# CONFIG_") && strings.HasSuffix(l, " is not set") {
			c[strings.TrimSuffix(l[2:], " is not set")] = "n"
			return
		}
		if k, v, ok := strings.Cut(l, "="); ok && strings.HasPrefix(k, "CONFIG_") {
			c[k] = strings.Trim(v, `"`)
		}
	})
	return c
}

// maxKernelConfig bounds a configuration file (a distribution's is ~250 KiB).
const maxKernelConfig = 16 << 20

// readKernelConfig reads a release's configuration (see View.KernelConfig).
func (v *View) readKernelConfig(release string) (cfg KernelConfig, source string, ok bool, err error) {
	boot := "/boot/config-" + release
	h := v.host
	cfg, ok, err = readCached(v, &h.kconfigCache, boot, maxKernelConfig, func(b []byte) (KernelConfig, error) { return netfilterSymbols(ParseKernelConfig(b)), nil })
	if ok || err != nil {
		return cfg, boot, ok, err
	}
	// /proc/config.gz is the running kernel's own and changes only with it,
	// but it is cached like any file, on its identity: decompressing and
	// parsing it every scrape was most of a scrape on hosts without /boot.
	gz := h.proc.Path("config.gz")
	fi, err := h.proc.Stat("config.gz")
	if err != nil {
		if NotApplicable(err) {
			return nil, "", false, nil
		}
		return nil, "", false, err
	}
	cfg, err = h.kconfigCache.Get(gz, fi, func() (KernelConfig, fs.FileInfo, error) {
		f, err := h.proc.Open("config.gz")
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, nil, &fs.PathError{Op: "read", Path: gz, Err: hostfs.ErrNotRegular}
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", gz, err)
		}
		data, err := io.ReadAll(io.LimitReader(zr, maxKernelConfig+1))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", gz, err)
		}
		if len(data) > maxKernelConfig {
			return nil, nil, &fs.PathError{Op: "read", Path: gz, Err: hostfs.ErrTooLarge}
		}
		return netfilterSymbols(ParseKernelConfig(data)), fi, nil
	})
	if err != nil {
		if NotApplicable(err) {
			return nil, "", false, nil
		}
		return nil, "", false, err
	}
	return cfg, "/proc/config.gz", true, nil
}

// netfilterSymbols keeps the symbols of the module table: a distribution's
// configuration has about 10,000, and only these are ever asked for.
func netfilterSymbols(c KernelConfig) KernelConfig {
	kept := make(KernelConfig, len(moduleSymbols))
	for _, sym := range moduleSymbols {
		if v, ok := c[sym]; ok {
			kept[sym] = v
		}
	}
	return kept
}
