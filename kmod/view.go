package kmod

import (
	"sync"
	"sync/atomic"

	"github.com/kmod-exporter/kmod_exporter/kmod/internal/hostfs"
)

// View is one scrape's reading of the host. Several collectors need the
// same files (the running release, the kernel configuration, the iptables
// backend, the rulesets): through a View each is read once per scrape, by
// whichever collector asks first, and it is safe to share between
// collectors running side by side. A View is never reused: the next scrape
// takes a new one and reads afresh.
type View struct {
	host      *Host
	kernel    func() (Kernel, error)
	config    func() (kernelConfigRead, error)
	backend   func() string
	memory    func() (Memory, error)
	conntrack func() (Conntrack, error)
	blind     func() []Blindness

	protocolsOnce sync.Once
	protocolTable map[int]string

	mu       sync.Mutex
	rulesets map[RulesetPath]RulesetRead
	xtables  map[string]xtablesRead

	// files stats the host's files for this view; its handles are closed
	// when the last user releases the view, never under a collector still
	// using it.
	files *hostfs.Scope
	refs  atomic.Int32
}

type kernelConfigRead struct {
	config KernelConfig
	source string
	ok     bool
}

type xtablesRead struct {
	xtables Xtables
	err     error
}

// View starts one scrape's reading of the host.
func (h *Host) View() *View {
	v := &View{host: h, files: h.root.Scope()}
	v.refs.Store(1)
	v.kernel = sync.OnceValues(func() (Kernel, error) { return v.readKernel() })
	v.config = sync.OnceValues(func() (kernelConfigRead, error) {
		k, err := v.Kernel()
		if err != nil {
			return kernelConfigRead{}, err
		}
		c, source, ok, err := v.readKernelConfig(k.Release)
		return kernelConfigRead{c, source, ok}, err
	})
	v.backend = sync.OnceValue(func() string { return v.readIptablesBackend() })
	v.memory = sync.OnceValues(func() (Memory, error) { return readMemory(h.proc) })
	v.conntrack = sync.OnceValues(func() (Conntrack, error) { return readConntrack(h.proc) })
	v.blind = sync.OnceValue(v.readBlind)
	return v
}

// Kernel is the running kernel and its module trees, once per view.
func (v *View) Kernel() (Kernel, error) { return v.kernel() }

// KernelConfig is the running kernel's configuration from
// /boot/config-<release> or, failing that, /proc/config.gz, keeping the
// symbols of the netfilter module table (see ConfigSymbol), once per view.
// source is the host path read; a host with neither has ok=false.
func (v *View) KernelConfig() (cfg KernelConfig, source string, ok bool, err error) {
	r, err := v.config()
	return r.config, r.source, r.ok, err
}

// IptablesBackend tells which kernel interface the iptables command uses:
// "nf_tables" (iptables-nft) or "legacy" (x_tables' ip_tables), from the
// Debian alternatives link, else from the kernel: ip_tables' /proc files
// mean legacy, nf_tables in /sys/module (loaded or built in) means
// nf_tables. "" when unknown. Once per view.
func (v *View) IptablesBackend() string { return v.backend() }

// ReadRuleset reads and parses a ruleset file in the entry's format and
// family (what it leaves "" told from the path), once per view, path,
// format and family, and cached while it is unchanged. exists is false
// when there is no such file.
func (v *View) ReadRuleset(f RulesetPath) (Ruleset, bool, error) {
	f = f.at(f.Path)
	v.mu.Lock()
	defer v.mu.Unlock()
	if r, ok := v.rulesets[f]; ok {
		return r.Ruleset, r.Exists, r.Err
	}
	r, exists, err := v.readRuleset(f)
	if v.rulesets == nil {
		v.rulesets = map[RulesetPath]RulesetRead{}
	}
	v.rulesets[f] = RulesetRead{r, exists, err}
	return r, exists, err
}

// Xtables is what x_tables registered for a family in the host's /proc,
// once per view and family: the firewall and modules collectors both need it.
func (v *View) Xtables(family string) (Xtables, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if x, ok := v.xtables[family]; ok {
		return x.xtables, x.err
	}
	x, err := readXtables(v.host.proc, family)
	if v.xtables == nil {
		v.xtables = map[string]xtablesRead{}
	}
	v.xtables[family] = xtablesRead{x, err}
	return x, err
}

// Memory is the host's memory pressure and availability, once per view.
func (v *View) Memory() (Memory, error) { return v.memory() }

// Conntrack is the host's connection tracking table, once per view.
func (v *View) Conntrack() (Conntrack, error) { return v.conntrack() }

// IptablesVersion reads the installed iptables package's version from the
// dpkg status file, without running anything. ok is false on hosts without
// dpkg (the RPM database is not read).
func (v *View) IptablesVersion() (version string, ok bool, err error) {
	return v.readIptablesVersion()
}

// Retain keeps the view's handles open for one more user; each Retain needs
// a Release.
func (v *View) Retain() { v.refs.Add(1) }

// Release ends one use of the view (the creator's included); the last
// closes its directory handles.
func (v *View) Release() {
	if v.refs.Add(-1) != 0 {
		return
	}
	v.files.Close()
}
