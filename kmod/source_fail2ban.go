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
	for _, p := range s.fail2ban().read {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// fileErrs are the files fail2ban reads that open but cannot be parsed or
// name what is not there (an action file that does not parse, a jail's
// action with no file): readable 0, as for a file that cannot be opened.
func (src fail2banSource) fileErrs(s *Snapshot, spec RequirementSpec) map[string]error {
	if !spec.WantsManager(src.Name()) || !s.serviceEnabled(fail2banUnit) {
		return nil
	}
	out := map[string]error{}
	for _, e := range s.fail2ban().errs {
		out[e.path] = e.err
	}
	return out
}

func (src fail2banSource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	if !spec.WantsManager(src.Name()) || !s.serviceEnabled(fail2banUnit) {
		return
	}
	// A file that cannot be read or understood leaves the modules of
	// its jails or actions unknown: check reports it and exits 2; the
	// rest still require theirs.
	for _, e := range s.fail2ban().errs {
		sourceFileError(spec, set, e.path, e.err)
	}
	set.Found = append(set.Found, fail2banRequirements(s, backend)...)
}

// f2bState is what one snapshot reads of fail2ban's files.
type f2bState struct {
	cmds []f2bCommands // the enabled jails' actionstart and actionban
	read []string      // every file read, in order
	errs []f2bFileErr  // files that could not be read or understood
}

// fail2ban reads fail2ban's jails and actions once per snapshot.
func (s *Snapshot) fail2ban() *f2bState {
	if s.memo.fail2ban == nil {
		l := &f2bLoader{s: s}
		cmds := l.jailCommands()
		s.memo.fail2ban = &f2bState{cmds: cmds, read: l.read, errs: l.errs}
	}
	return s.memo.fail2ban
}

// fail2banRequirements are the modules of every enabled jail's actions,
// each once, with the action file and line of the command that needs it.
func fail2banRequirements(s *Snapshot, backend string) []Provenance {
	cmds := s.fail2ban().cmds
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
