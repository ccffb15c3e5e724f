package kmod

// cmdlinePath is where boot entries and blocks from the kernel command line
// say they come from.
const cmdlinePath = "/proc/cmdline"

// cmdlineSource is the kernel command line's modules-load=, which
// systemd-modules-load also loads at boot, when the spec includes boot.
type cmdlineSource struct{}

func (cmdlineSource) Name() string { return "cmdline" }

func (cmdlineSource) Files(_ *Snapshot, spec RequirementSpec) []string {
	if !spec.IncludeBoot {
		return nil
	}
	return []string{cmdlinePath}
}

func (cmdlineSource) Require(s *Snapshot, spec RequirementSpec, _ string, set *RequirementSet) {
	requireBoot(s, spec, set, "cmdline", func(b BootEntry) bool { return b.Path == cmdlinePath })
}
