package collector

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func init() {
	registerCollector("modules", true, func(o Options, l log.Logger) Collector {
		return &modulesCollector{requirements: o.Requirements, logger: l}
	})
}

var (
	moduleRequired = newDesc("module", "required",
		"1 for each required module and why it is required (source: config, flag, default, a ruleset's path, a firewall manager such as ufw, firewalld, fail2ban, docker or kube-proxy, ipsets, modules-load.d, cmdline).", "module", "source")
	moduleLoaded = newDesc("module", "loaded",
		"1 if the module is running: Live in /proc/modules, or built into the kernel.", "module")
	moduleBuiltin = newDesc("module", "builtin",
		"1 if the module is built into the running kernel (modules.builtin, or /sys/module without initstate).", "module")
	moduleBlacklisted = newDesc("module", "blacklisted",
		"1 if a blacklist line in modprobe.d or modprobe.blacklist= on the kernel command line names the module: kmod will not load it when it is asked for itself, by alias (the kernel's and iptables' requests) or by name with the blacklist applied (systemd-modules-load), but still loads it as another module's dependency.", "module")
	moduleDisabled = newDesc("module", "disabled",
		"1 if an install command that does nothing (/bin/true, /bin/false, ...) or the kernel's module_blacklist= stops the module loading at all.", "module")
	moduleBlacklistInfo = newDesc("module", "blacklist_info",
		"One series per configuration line that blocks the module: the file and line to edit, and the directive (blacklist, install, cmdline).", "module", "path", "line", "directive")
	moduleLoadedAsDependency = newDesc("module", "loaded_as_dependency",
		"1 per required module (dependent) that depends on this blacklisted module and is not blacklisted or disabled itself: loading it loads this module first, and kmod applies a blacklist only to the module asked for. Only present for blacklisted modules.", "module", "dependent")
	modulePresentOnDisk = newDesc("module", "present_on_disk",
		"1 if a module file (.ko, .ko.xz, .ko.zst, .ko.gz) for the module exists under /lib/modules/<running release>.", "module")
	moduleReleaseMatch = newDesc("module", "release_match",
		"1 if the module is built in, or its file's vermagic names the running release; 0 if the file is missing or built for another kernel.", "module")
	moduleFileError = newDesc("module", "file_error",
		"1 when the module's file is on disk but its header cannot be read: reason is truncated, too_large, corrupt or unreadable. The file, not the kernel release, is then what is wrong, so release_match is left out for the module. Only present for such a file.", "module", "path", "reason")
	moduleFileInfo = newDesc("module", "file_info",
		"The module's file and the kernel release its vermagic names, value 1; release is empty if the header could not be read.", "module", "path", "release")
	moduleDepsSatisfied = newDesc("module", "dependencies_satisfied",
		"1 if every module it depends on (modules.dep) is loaded, built in, or can be loaded (on disk and not disabled).", "module")
	moduleDepLoaded = newDesc("module", "dependency_loaded",
		"1 if this dependency of the module is loaded or built in. Only for modules that are not loaded: a loaded module's dependencies are.", "module", "dependency")
	moduleDepUsable = newDesc("module", "dependency_usable",
		"1 if this dependency is loaded, built in, or can be loaded (its file is on disk, built for the running release, and not disabled); 0 names the dependency that stops the module loading.", "module", "dependency")
	moduleDepmodStale = newDesc("module", "depmod_stale",
		"1 if the module's file is on disk but modules.dep does not list it, or the file is newer than modules.dep: depmod was not run after it was installed, so modprobe may not find it.", "module")
	moduleKernelConfig = newDesc("module", "kernel_config",
		"The running kernel's build option for the module (from /boot/config-<release> or /proc/config.gz): value label y (built in), m (module) or n (not built: the kernel cannot have it). Only for netfilter modules, whose symbol is known.", "module", "symbol", "value")
	modulePresentForRelease = newDesc("module", "present_for_release",
		"1 if another installed kernel release (a kernel the next boot may run) has the module, built in or in its tree; 0 if an upgrade lacks it.", "module", "release")
	moduleLoadOnBoot = newDesc("module", "load_on_boot",
		"1 if the module is listed in modules-load.d, /etc/modules or modules_load= and so is loaded at every boot.", "module")
	moduleTreeInfo = newDesc("module", "tree_info",
		"Where the module's file lies, value 1: tree in_tree (kernel/, the kernel package's) or out_of_tree (updates/, extra/ or a dkms/ directory: DKMS builds and vendors' modules), from the running release's modules.dep or file, else another installed release's. Absent for a built-in module or one no tree places.", "module", "tree")
	requirementSourceInfo = newDesc("requirement", "source_info",
		"One series per file or directory a requirement source reads that exists on the host (source: iptables-save, nftables, ipsets, a firewall manager such as ufw, fail2ban, firewalld, docker or kube-proxy, modules-load.d, cmdline), value 1. enabled is false for a file that is read but whose rules are not applied (/etc/nftables.conf while nftables.service is disabled, a manager that is installed but not in use): it requires nothing.", "source", "path", "enabled")
	requirementSourceReadable = newDesc("requirement", "source_readable",
		"1 if the exporter can read the requirement source's file or directory; 0 if not (the modules it would require are then unknown; the log says why).", "source", "path")
	requirementUnknown = newDesc("requirement", "unknown",
		"1 for a required name that no installed module tree, alias index, built-in list or netfilter kernel option knows (a typo, or an extension no kernel has), with the source, file and line that ask for it: nothing could load it, so it is reported as unknown rather than as a missing file. Only present for such names.", "module", "source", "path", "line")
	modprobeBadLines = newDesc("modprobe", "config_ignored_lines",
		"Lines of modprobe.d files that kmod ignores as malformed (see the debug log for file and line).")
)

type modulesCollector struct {
	requirements func() Requirements
	logger       log.Logger

	mu   sync.Mutex
	last modulesOutput
}

// modulesOutput is what the collector added for one module snapshot, the
// requirements resolved against it and the kernel's configuration, with
// the warnings it logged. The same three give the same series: a snapshot
// is taken again by the next scrape only while nothing it read changed
// (kmod.View.Snapshot), and it keeps its resolved requirements while the
// configuration asks the same.
type modulesOutput struct {
	snap     *kmod.Snapshot
	required unsafe.Pointer // the map of resolved requirements
	config   unsafe.Pointer // the kernel configuration's map
	series   Sink
	warnings [][]any
}

// Update is update through a module snapshot of its own, for a caller
// other than the scheduler.
func (c *modulesCollector) Update(host *kmod.View, out *Sink) error {
	return updateAlone(c, host, out)
}

func (c *modulesCollector) update(sc *scrape, out *Sink) error {
	m := sc.modules.lock(sc.view, c.requirements)
	defer sc.modules.unlock()
	s := m.snap
	if s == nil {
		return m.err
	}
	var errs []error
	if m.err != nil {
		errs = append(errs, m.err)
	}
	c.logSnapshot(s, m.invalid)
	kconfig, _, haveConfig, err := sc.view.KernelConfig()
	if err != nil {
		errs = append(errs, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	last := &c.last
	if err == nil && last.snap == s && last.required == reflect.ValueOf(m.required).UnsafePointer() && last.config == reflect.ValueOf(kconfig).UnsafePointer() {
		out.append(&last.series)
		for _, kv := range last.warnings {
			c.logger.Log(kv...)
		}
	} else {
		*last = modulesOutput{}
		logger := &warningRecorder{next: c.logger}
		from := out.mark()
		c.addSeries(out, logger, s, m, kconfig, haveConfig)
		if err == nil {
			last.snap, last.required, last.config = s, reflect.ValueOf(m.required).UnsafePointer(), reflect.ValueOf(kconfig).UnsafePointer()
			added := out.since(from)
			last.series.append(&added)
			last.warnings = logger.kept
		}
	}
	if err := s.LateErr(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return joinErrs(errs)
	}
	return nil
}

// addSeries adds the collector's series for the snapshot, the
// requirements resolved against it and the kernel configuration.
func (c *modulesCollector) addSeries(out *Sink, logger log.Logger, s *kmod.Snapshot, m *moduleState, kconfig kmod.KernelConfig, haveConfig bool) {
	out.Add(modprobeBadLines, float64(len(s.BadLines)))
	others := s.OtherReleases()
	// Sized once: slices.Sorted(maps.Keys(...)) would grow it step by step,
	// an allocation per doubling at every scrape.
	names := make([]string, 0, len(m.required))
	for name := range m.required {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c.addModule(out, logger, s, m, name, others)
		if sym, ok := kmod.ConfigSymbol(name); ok && haveConfig {
			out.Add(moduleKernelConfig, 1, name, sym, kconfig.Tristate(sym))
		}
	}
	c.addSourceFiles(out, logger, s, m.spec)
}

// addSourceFiles says which requirement sources were found and read.
func (c *modulesCollector) addSourceFiles(out *Sink, logger log.Logger, s *kmod.Snapshot, spec Requirements) {
	for _, f := range s.SourceFiles(spec) {
		out.Add(requirementSourceInfo, 1, f.Source, f.Path, strconv.FormatBool(f.Enabled))
		out.Add(requirementSourceReadable, boolValue(f.Err == nil), f.Source, f.Path)
		if f.Err != nil {
			level.Warn(logger).Log("msg", "cannot read a requirement source's file: the modules it requires are unknown", "source", f.Source, "path", f.Path, "err", f.Err)
		}
	}
}

// logSnapshot logs at debug level what the snapshot passed over.
func (c *modulesCollector) logSnapshot(s *kmod.Snapshot, invalid []kmod.BootEntry) {
	if !s.ModuleSupport {
		level.Debug(c.logger).Log("msg", "kernel has no loadable module support (no /proc/modules); only built-in modules can be present")
	}
	for _, b := range s.BadLines {
		level.Debug(c.logger).Log("msg", "kmod ignores this modprobe.d line", "path", b.Path, "line", b.Line, "command", b.Command)
	}
	for _, sk := range s.Skipped {
		level.Debug(c.logger).Log("msg", "skipped configuration entry", "entry", sk)
	}
	for _, b := range invalid {
		level.Debug(c.logger).Log("msg", "ignoring boot entry that is not a module name", "path", b.Path, "line", b.Line)
	}
}

// addModule adds the series of one required module but its kernel_config,
// which needs the kernel's configuration.
func (c *modulesCollector) addModule(out *Sink, logger log.Logger, s *kmod.Snapshot, m *moduleState, name string, others []string) {
	for _, src := range m.required[name] {
		out.Add(moduleRequired, 1, name, src)
	}
	st := s.Module(name)
	if !st.Known && s.ModuleSupport && s.ModulesDirPresent {
		for _, p := range s.Origins(m.set, name) {
			out.Add(requirementUnknown, 1, name, p.Source, p.Path, strconv.Itoa(p.Line))
			level.Warn(logger).Log("msg", "a required name is no module, alias or built-in of any installed kernel", "module", name, "source", p.Source, "path", p.Path, "line", p.Line)
		}
	}
	// A bad module file is a verdict about that file, reported as its
	// own series: the collector still read the host.
	if st.FileErr != nil {
		level.Warn(logger).Log("msg", "cannot read the module file's header", "module", name, "path", st.File, "err", st.FileErr)
	}
	out.Add(moduleLoaded, boolValue(st.Loaded), name)
	out.Add(moduleBuiltin, boolValue(st.Builtin), name)
	if tree := s.ModuleTree(name); tree != "" && !st.Builtin {
		out.Add(moduleTreeInfo, 1, name, tree)
	}
	out.Add(moduleBlacklisted, boolValue(st.Blacklisted), name)
	out.Add(moduleDisabled, boolValue(st.Disabled), name)
	for _, b := range uniqueBlocks(st.Blocks) {
		out.Add(moduleBlacklistInfo, 1, name, b.Path, strconv.Itoa(b.Line), b.Directive)
	}
	if st.Blacklisted {
		for _, d := range s.LoadedAsDependency(name, m.required) {
			out.Add(moduleLoadedAsDependency, 1, name, d)
		}
	}
	out.Add(modulePresentOnDisk, boolValue(st.OnDisk), name)
	if st.FileErr == nil || st.Builtin {
		out.Add(moduleReleaseMatch, boolValue(st.ReleaseMatch), name)
	} else {
		out.Add(moduleFileError, 1, name, st.File, kmod.FileErrReason(st.FileErr))
	}
	if st.OnDisk {
		out.Add(moduleFileInfo, 1, name, st.File, st.FileRelease)
	}
	out.Add(moduleDepsSatisfied, boolValue(st.DepsOK), name)
	// A loaded module's dependencies are loaded (the kernel linked it
	// against them), so they are reported only while it is not.
	if !st.Loaded {
		for _, d := range st.Deps {
			out.Add(moduleDepLoaded, boolValue(d.Loaded), name, d.Name)
			out.Add(moduleDepUsable, boolValue(d.Usable), name, d.Name)
		}
	}
	out.Add(moduleDepmodStale, boolValue(st.DepStale), name)
	for _, rel := range others {
		out.Add(modulePresentForRelease, boolValue(s.PresentInRelease(name, rel)), name, rel)
	}
	out.Add(moduleLoadOnBoot, boolValue(st.LoadOnBoot), name)
}

// uniqueBlocks drops repeats: the same cmdline entry may block by both kmod's
// and the kernel's rule and must not make a duplicate series.
func uniqueBlocks(blocks []kmod.Block) []kmod.Block {
	seen := map[string]bool{}
	var out []kmod.Block
	for _, b := range blocks {
		k := strings.Join([]string{b.Path, strconv.Itoa(b.Line), b.Directive}, "\x00")
		if !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	return out
}

// warningRecorder passes log lines on and keeps them, to be logged again
// when the series they came with are added again.
type warningRecorder struct {
	next log.Logger
	kept [][]any
}

func (r *warningRecorder) Log(keyvals ...any) error {
	r.kept = append(r.kept, slices.Clone(keyvals))
	return r.next.Log(keyvals...)
}
