package kmod

import (
	"path"
	"strings"
)

// nftablesRulesets are nftables files (/etc/nftables.conf, *.nft): the
// modules their statements need, while the service that loads them at
// boot is enabled.
var nftablesRulesets = rulesetSource{name: "nftables", format: FormatNftables, inUse: (*Snapshot).rulesetInUse}

// serviceRulesets are the standard rulesets that only a boot service loads.
// Debian installs /etc/nftables.conf on every system (nftables is Priority:
// important) with nftables.service disabled, and a booted kernel then loads
// nothing from it: the file makes modules required only while its service
// is enabled.
var serviceRulesets = map[string]string{"/etc/nftables.conf": "nftables.service"}

// systemdUnitDir holds the links `systemctl enable` makes.
const systemdUnitDir = "/etc/systemd/system"

// rulesetInUse reports whether a ruleset's rules are applied at boot: any
// ruleset no service gates, or one whose service is enabled.
func (s *Snapshot) rulesetInUse(p string) bool {
	unit, gated := serviceRulesets[p]
	return !gated || s.serviceEnabled(unit)
}

// serviceEnabled reports whether a systemd unit is wanted by some target,
// as `systemctl enable` records it: a link <target>.wants/<unit>. The
// links are listed once per snapshot, however many sources ask.
func (s *Snapshot) serviceEnabled(unit string) bool {
	if s.memo.units == nil {
		s.memo.units = map[string]bool{}
		entries, _ := s.view.files.ReadDir(systemdUnitDir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".wants") {
				continue
			}
			links, _ := s.view.files.ReadDir(path.Join(systemdUnitDir, e.Name()))
			for _, l := range links {
				s.memo.units[l.Name()] = true
			}
		}
	}
	return s.memo.units[unit]
}
