package kmod

import "strings"

// Block is one configuration line that stops a module from loading.
type Block struct {
	Path      string
	Line      int
	Directive string // blacklist, install or cmdline
	// Disables: it stops every load (install override, module_blacklist=),
	// not only loads by alias (blacklist, modprobe.blacklist=).
	Disables bool
}

// Blocks returns the lines that stop the module loading, and whether they
// blacklist it (alias loading only) or disable it (all loading).
func (s *Snapshot) blocks(name string) (blocks []Block, blacklisted, disabled bool) {
	for _, i := range s.directives().blacklist[name] {
		d := &s.Modprobe[i]
		blocks = append(blocks, Block{Path: d.Path, Line: d.Line, Directive: "blacklist"})
		blacklisted = true
	}
	for _, m := range s.kmodBlacklist {
		if m == name {
			blocks = append(blocks, Block{Path: "/proc/cmdline", Line: 1, Directive: "cmdline"})
			blacklisted = true
			break
		}
	}
	if d, ok := s.installCommand(name); ok && IsNoopInstall(d.Value) && !s.hasSoftdeps(name) {
		blocks = append(blocks, Block{Path: d.Path, Line: d.Line, Directive: "install", Disables: true})
		disabled = true
	}
	for _, m := range s.kernelBlack {
		if m == name {
			blocks = append(blocks, Block{Path: "/proc/cmdline", Line: 1, Directive: "cmdline", Disables: true})
			disabled = true
			break
		}
	}
	return blocks, blacklisted, disabled
}

// installCommand is the install command kmod runs instead of loading the
// module: the first whose name pattern matches.
func (s *Snapshot) installCommand(name string) (Directive, bool) {
	for _, i := range s.directives().install {
		if d := s.Modprobe[i]; fnmatch(d.Name, name) {
			return d, true
		}
	}
	return Directive{}, false
}

// directiveIndex is where each kind of directive is in s.Modprobe, in
// order. Every required module and dependency asks for its blacklists,
// install command and aliases: going through every directive for each was
// a tenth of the model's time.
type directiveIndex struct {
	alias, install, softdep []int
	blacklist               map[string][]int // by module name
	installOrRemove         map[string]bool  // names an install or remove command is for, as written
}

func (s *Snapshot) directives() *directiveIndex {
	if x := s.memo.directives; x != nil {
		return x
	}
	x := &directiveIndex{blacklist: map[string][]int{}, installOrRemove: map[string]bool{}}
	for i, d := range s.Modprobe {
		switch d.Command {
		case "alias":
			x.alias = append(x.alias, i)
		case "install":
			x.install = append(x.install, i)
			x.installOrRemove[d.Name] = true
		case "remove":
			x.installOrRemove[d.Name] = true
		case "softdep":
			x.softdep = append(x.softdep, i)
		case "blacklist":
			x.blacklist[d.Name] = append(x.blacklist[d.Name], i)
		}
	}
	s.memo.directives = x
	return x
}

// IsNoopInstall reports whether an install command replaces loading with a
// command that loads nothing: /bin/true, /bin/false (and their /usr/bin and
// bare forms), ":", "exit", or /dev/null. These are how modules are disabled
// by hand and by hardening guides.
func IsNoopInstall(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "/bin/true", "/bin/false", "/usr/bin/true", "/usr/bin/false", "true", "false", ":", "exit", "/dev/null":
		return true
	}
	return false
}
