package kmod

// LoadOrder is the sequence of modules `modprobe NAME` loads, as kmod builds
// its probe list: each dependency (modules.dep, deepest first) with its soft
// dependencies around it, then the module itself with its own; a module
// reached through soft dependencies is visited once. Dependencies that are
// themselves needed twice appear twice, as in kmod's list.
func (s *Snapshot) LoadOrder(name string) []string {
	var order []string
	visited := map[string]bool{}
	var probe, fill func(m string)
	probe = func(m string) {
		if visited[m] {
			return
		}
		visited[m] = true
		e, _ := s.dep.Entry(m)
		deps := e.Deps
		for i := len(deps) - 1; i >= 0; i-- {
			fill(deps[i])
		}
		fill(m)
	}
	fill = func(m string) {
		pre, post := s.softdeps(m)
		for _, p := range pre {
			probe(p)
		}
		order = append(order, m)
		for _, p := range post {
			probe(p)
		}
	}
	probe(name)
	return order
}
