package collector

import (
	"fmt"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func init() {
	registerCollector("firewall", true, func(o Options, l log.Logger) Collector {
		return &firewallCollector{requirements: o.Requirements, logger: l}
	})
}

var (
	rulesetParseSuccess = newDesc("ruleset", "parse_success",
		"1 if the firewall ruleset file was read and every line parsed; 0 if it could not be read or has lines that could not be parsed (logged with path:line).", "path")
	rulesetInvalidLines = newDesc("ruleset", "invalid_lines",
		"Lines of the ruleset file that could not be parsed.", "path")
	xtablesAvailable = newDesc("xtables", "available",
		"1 if the kernel's x_tables files for the family exist in /proc/net (ip_tables or ip6_tables is loaded); 0 on an nftables-only host, where they are not needed.", "family")
	xtablesReadable = newDesc("xtables", "readable",
		"1 if the exporter can read the family's x_tables files; the kernel makes them readable by root only, so an unprivileged exporter reports 0 and no *_registered series.", "family")
	iptablesInfo = newDesc("iptables", "info",
		"The installed iptables package version (dpkg) and the kernel interface it uses (backend: legacy, nf_tables, or empty when unknown), value 1.", "version", "backend")
)

type firewallCollector struct {
	requirements func() Requirements
	logger       log.Logger
}

func (c *firewallCollector) Update(host *kmod.View, out *Sink) error {
	var errs []error
	for _, p := range c.requirements().Rulesets {
		r, exists, err := host.ReadRuleset(p)
		switch {
		case err != nil:
			errs = append(errs, err)
			out.Add(rulesetParseSuccess, 0, p)
			continue
		case !exists:
			if explicitRuleset(p) {
				level.Warn(c.logger).Log("msg", "configured ruleset file does not exist", "path", p)
				out.Add(rulesetParseSuccess, 0, p)
			}
			continue
		}
		for _, bad := range r.Invalid {
			level.Warn(c.logger).Log("msg", "ruleset line not understood", "path", fmt.Sprintf("%s:%d", p, bad.Line), "reason", bad.Reason)
		}
		out.Add(rulesetParseSuccess, boolValue(len(r.Invalid) == 0), p)
		out.Add(rulesetInvalidLines, float64(len(r.Invalid)), p)
	}
	for _, family := range []string{"ipv4", "ipv6"} {
		x, err := host.Xtables(family)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.Add(xtablesAvailable, boolValue(x.Available), family)
		if x.Available {
			out.Add(xtablesReadable, boolValue(!x.Unreadable), family)
		}
	}
	version, _, err := host.IptablesVersion()
	if err != nil {
		errs = append(errs, err)
	}
	backend := host.IptablesBackend()
	if version != "" || backend != "" {
		out.Add(iptablesInfo, 1, version, backend)
	}
	if len(errs) > 0 {
		return joinErrs(errs)
	}
	return nil
}
