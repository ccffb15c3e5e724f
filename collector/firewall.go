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
	xtablesMatchRegistered = newDesc("xtables", "match_registered",
		"1 if the kernel has registered a match a ruleset uses (/proc/net/*_tables_matches): the kernel half of `iptables -m NAME -h`. module is the module that provides it. Only while the family's x_tables files exist.", "family", "match", "module")
	xtablesTargetRegistered = newDesc("xtables", "target_registered",
		"1 if the kernel has registered a target a ruleset jumps to (/proc/net/*_tables_targets); module is the module that provides it.", "family", "target", "module")
	iptablesInfo = newDesc("iptables", "info",
		"The installed iptables package version (dpkg) and the kernel interface it uses (backend: legacy, nf_tables, or empty when unknown), value 1.", "version", "backend")
)

type firewallCollector struct {
	requirements func() Requirements
	logger       log.Logger
}

func (*firewallCollector) filesystems() []string { return []string{kmod.Procfs, kmod.Rootfs} }

// Update is update through a module snapshot of its own, for a caller
// other than the scheduler.
func (c *firewallCollector) Update(host *kmod.View, out *Sink) error {
	return updateAlone(c, host, out)
}

func (c *firewallCollector) update(sc *scrape, out *Sink) error {
	host := sc.view
	var errs []error
	// A glob of the configuration names the files it matches now.
	for _, f := range host.RulesetFiles(c.requirements().Rulesets) {
		// In its configured format: the requirement sources read the
		// same, so the view reads it once.
		p := f.Path
		r, exists, err := host.ReadRuleset(f)
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
	c.addRegistered(sc, out)
	if len(errs) > 0 {
		return joinErrs(errs)
	}
	return nil
}

// addRegistered reports, for each match and target the rulesets in use
// need, whether the kernel has registered it. Errors are reported
// elsewhere: what of the module snapshot could not be read by the modules
// collector, what of x_tables by update.
func (c *firewallCollector) addRegistered(sc *scrape, out *Sink) {
	m := sc.modules.lock(sc.view, c.requirements)
	defer sc.modules.unlock()
	if m.snap == nil {
		return
	}
	reported := map[string]bool{}
	for _, r := range m.rulesets {
		if !r.Exists || r.Err != nil || r.Format != kmod.FormatIptables {
			continue // reported by update as not parsed
		}
		x, err := sc.view.Xtables(r.Family)
		if err != nil || !x.Available || x.Unreadable {
			continue
		}
		for _, n := range r.Needs {
			key := r.Family + "\x00" + n.Kind + "\x00" + n.Name
			if reported[key] || (n.Kind != "match" && n.Kind != "target") {
				continue
			}
			reported[key] = true
			module := m.snap.ExtensionModule(r.Family, n.Name)
			if n.Kind == "match" {
				out.Add(xtablesMatchRegistered, boolValue(x.Matches[n.Name]), r.Family, n.Name, module)
			} else {
				out.Add(xtablesTargetRegistered, boolValue(x.Targets[n.Name]), r.Family, n.Name, module)
			}
		}
	}
}
