package kmod

import "slices"

// fail2banSource is fail2ban's jails, while fail2ban.service is enabled:
// the modules the iptables, ipset and nft commands of each enabled jail's
// actions need, from its start (actionstart) to its first ban (actionban),
// for IPv4 and IPv6 bans. fail2ban starts most actions only at their first
// ban of a family, and a module missing then makes that ban fail.
type fail2banSource struct{}

const fail2banUnit = "fail2ban.service"

func (fail2banSource) Name() string { return "fail2ban" }

func (fail2banSource) manager() {}

// enabled: fail2ban's files make modules required only while its service
// is enabled.
func (fail2banSource) enabled(s *Snapshot, _ string) bool {
	return s.serviceEnabled(fail2banUnit)
}

func (src fail2banSource) Files(s *Snapshot, spec RequirementSpec) []string {
	if !spec.WantsManager(src.Name()) {
		return nil
	}
	out := []string{f2bDir + "/jail.conf", f2bDir + "/jail.d", f2bDir + "/jail.local"}
	if !s.serviceEnabled(fail2banUnit) {
		return out
	}
	l := &f2bLoader{s: s}
	l.jailCommands()
	for _, p := range l.read {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func (src fail2banSource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	if !spec.WantsManager(src.Name()) || !s.serviceEnabled(fail2banUnit) {
		return
	}
	set.Found = append(set.Found, fail2banRequirements(s, backend)...)
}

// fail2banRequirements are the modules of every enabled jail's actions,
// each once, with the action file and line of the command that needs it.
func fail2banRequirements(s *Snapshot, backend string) []Provenance {
	l := &f2bLoader{s: s}
	cmds := l.jailCommands()
	// The chains an action creates, from all its commands: a jump to one
	// needs no extension.
	type actionKey struct{ jail, action string }
	chains := map[actionKey]map[string]bool{}
	scripts := make([][][]string, len(cmds))
	for i, c := range cmds {
		k := actionKey{c.jail, c.action}
		if chains[k] == nil {
			chains[k] = map[string]bool{}
		}
		scripts[i] = f2bScript(c.text)
		for _, cmd := range scripts[i] {
			declareF2bChains(cmd, chains[k])
		}
	}
	var out []Provenance
	seen := map[string]bool{}
	for i, c := range cmds {
		r := newF2bRules(chains[actionKey{c.jail, c.action}])
		for _, cmd := range scripts[i] {
			r.command(s, cmd)
		}
		for _, m := range r.modules(s, backend) {
			if !seen[m] {
				seen[m] = true
				out = append(out, Provenance{Name: m, Source: "fail2ban", Path: c.file, Line: c.line})
			}
		}
	}
	return out
}
