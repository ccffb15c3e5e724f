package kmod

import "slices"

// Resolve maps a name as a user or a config file writes it to the modules
// modprobe would load for it (see Lookup). A name nothing knows is returned
// normalized, so it can be reported missing.
func (s *Snapshot) Resolve(name string) []string {
	if r, ok := s.memo.lookups[name]; ok {
		return r
	}
	var out []string
	for _, m := range s.Lookup(name) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		out = []string{Normalize(name)}
	}
	if s.memo.lookups == nil {
		s.memo.lookups = make(map[string][]string, s.host.lookupsAsked.Load())
	}
	s.memo.lookups[name] = out
	return out
}

// Lookup is kmod's kmod_module_new_from_lookup: the modules a name stands
// for, trying in order aliases from modprobe.d, modules.dep, install/remove
// commands, modules.alias, built-in modules and built-in aliases, and
// stopping at the first that knows it. Empty when none does. Like kmod's,
// the list may repeat a module that several alias patterns match.
func (s *Snapshot) Lookup(name string) []string {
	n := Normalize(name)
	var out []string
	for _, i := range s.directives().alias {
		if d := &s.Modprobe[i]; fnmatch(d.Name, n) {
			out = append(out, d.Value)
		}
	}
	if len(out) > 0 {
		return out
	}
	if s.dep.Has(n) {
		return []string{n}
	}
	if s.directives().installOrRemove[n] {
		return []string{n}
	}
	if m := s.aliases.match(n); len(m) > 0 {
		return m
	}
	if s.builtin[n] {
		return []string{n}
	}
	if m := matchAliases(s.builtinAliases, n); len(m) > 0 {
		return m
	}
	if s.fallbackNames.Has(n) {
		return []string{n}
	}
	return s.fallbackAliases.match(n)
}
