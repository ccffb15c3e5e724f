package kmod

// softdeps returns the modules to load before and after the module: the
// first softdep line whose pattern matches (from modprobe.d and
// modules.softdep, in kmod's file order), each name looked up as kmod does.
func (s *Snapshot) softdeps(name string) (pre, post []string) {
	for _, i := range s.directives().softdep {
		d := &s.Modprobe[i]
		if !fnmatch(d.Name, name) {
			continue
		}
		p, q := SoftDeps(d.Value)
		for _, m := range p {
			pre = append(pre, s.Lookup(m)...)
		}
		for _, m := range q {
			post = append(post, s.Lookup(m)...)
		}
		return pre, post
	}
	return nil, nil
}

// hasSoftdeps reports whether kmod would ignore the module's install command:
// it sets ignorecmd when the module's resolved pre: or post: list is not
// empty.
func (s *Snapshot) hasSoftdeps(name string) bool {
	pre, post := s.softdeps(name)
	return len(pre) > 0 || len(post) > 0
}
