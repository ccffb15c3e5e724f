package kmod

// memo holds what one snapshot has already looked up, so that a scrape
// resolves and stats each path once however many modules ask. It lives as
// long as the snapshot, which the next scrape takes again only while
// nothing it read changed (see Host.reuse).
type memo struct {
	files   map[string]foundFile
	lookups map[string][]string
	boot    map[string]bool // resolved modules of the boot lists
	// sysBuiltin: built in by /sys/module (for names not in modules.builtin
	// or /proc/modules); deps: the answers for dependencies.
	sysBuiltin map[string]bool
	deps       map[string]Dependency
	releases   map[string]otherRelease
	// units: the systemd units enabled by a link in a *.wants directory,
	// listed once for every source that asks.
	units map[string]bool
	// fail2ban: what fail2ban's files say, read once for the files, the
	// modules and the errors of the source.
	fail2ban *f2bState
	// directives: s.Modprobe by kind, made on first use.
	directives *directiveIndex
	// status: Module's answers; reqs: the last requirements asked for.
	status map[string]ModuleStatus
	reqs   *requirementsMemo
}

// requirementsMemo is the snapshot's answer to one spec and backend.
type requirementsMemo struct {
	spec     RequirementSpec
	backend  string
	set      RequirementSet
	required map[string][]string // Resolved(set), once asked
	files    []SourceFile        // SourceFiles(spec), once asked
	filesSet bool
}
