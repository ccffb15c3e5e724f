package kmod

// bootListSource is the modules systemd-modules-load (modules-load.d) and
// Debian's /etc/modules load at boot, when the spec includes them.
type bootListSource struct{}

func (bootListSource) Name() string { return "modules-load.d" }

func (bootListSource) Files(_ *Snapshot, spec RequirementSpec) []string {
	if !spec.IncludeBoot {
		return nil
	}
	return append(append([]string{}, ModulesLoadDirs...), "/etc/modules")
}

func (bootListSource) Require(s *Snapshot, spec RequirementSpec, _ string, set *RequirementSet) {
	requireBoot(s, spec, set, "modules-load.d", func(b BootEntry) bool { return b.Path != cmdlinePath })
}

// requireBoot adds the boot entries keep selects under source; entries that
// are not module names are set aside as invalid.
func requireBoot(s *Snapshot, spec RequirementSpec, set *RequirementSet, source string, keep func(BootEntry) bool) {
	if !spec.IncludeBoot {
		return
	}
	for _, b := range s.Boot {
		if !keep(b) {
			continue
		}
		if ValidateName(b.Name) != nil {
			set.Invalid = append(set.Invalid, b)
			continue
		}
		set.Found = append(set.Found, Provenance{Name: b.Name, Source: source, Path: b.Path, Line: b.Line})
	}
}
