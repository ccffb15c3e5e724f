package kmod

// configSource is the modules named in the configuration: its file
// ("config"), the embedded default ("default") when there is no file, or
// --collector.modules ("flag"). Which one gave a name is the spec's
// Requirement.Source.
type configSource struct{ source string }

func (c configSource) Name() string { return c.source }

// Files: the configuration file is read before the spec is made.
func (configSource) Files(*Snapshot, RequirementSpec) []string { return nil }

func (c configSource) Require(_ *Snapshot, spec RequirementSpec, _ string, set *RequirementSet) {
	for _, r := range spec.Modules {
		if r.Source == c.source {
			set.Found = append(set.Found, Provenance{Name: r.Name, Source: r.Source})
		}
	}
}
