package kmod

import (
	"errors"
	"io/fs"
	"path"
)

// IsBuiltin reports whether the module is compiled into the running kernel:
// listed in modules.builtin, or present in /sys/module without the
// "initstate" file that only loadable modules have (this still works when
// /lib/modules is missing).
func (s *Snapshot) IsBuiltin(name string) bool {
	if s.builtin[name] {
		return true
	}
	if _, loaded := s.Loaded[name]; loaded {
		return false
	}
	// Dependencies shared by many modules (x_tables, nf_conntrack) are
	// asked about once per module that needs them: stat once per scrape.
	if b, ok := s.memo.sysBuiltin[name]; ok {
		return b
	}
	b := s.inSysModuleWithoutInitstate(name)
	s.prove(func() bool { return s.inSysModuleWithoutInitstate(name) == b })
	if s.memo.sysBuiltin == nil {
		s.memo.sysBuiltin = map[string]bool{}
	}
	s.memo.sysBuiltin[name] = b
	return b
}

func (s *Snapshot) inSysModuleWithoutInitstate(name string) bool {
	dir := path.Join("module", name)
	if fi, err := s.host.sys.Stat(dir); err != nil || !fi.IsDir() {
		return false
	}
	_, err := s.host.sys.Stat(path.Join(dir, "initstate"))
	return errors.Is(err, fs.ErrNotExist)
}

// IsLoaded reports whether the module is running: Live in /proc/modules, or
// built in.
func (s *Snapshot) IsLoaded(name string) bool {
	if m, ok := s.Loaded[name]; ok {
		return m.State == "Live"
	}
	return s.IsBuiltin(name)
}
