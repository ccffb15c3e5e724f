package collector

import (
	"sync"
	"sync/atomic"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// scrape is what one scrape's collectors share: the host's view, and the
// module snapshot with the requirements resolved against it, which the
// modules and firewall collectors both read and the first to ask builds.
type scrape struct {
	view    *kmod.View // nil when the exporter was built without a host
	refs    atomic.Int32
	modules moduleState
}

// scrapeCollector is a collector that reads the scrape's shared module
// state; the scheduler calls update rather than Update.
type scrapeCollector interface {
	update(sc *scrape, out *Sink) error
}

// newScrape starts one scrape's reading of host (nil: no host), held once.
func newScrape(host *kmod.Host) *scrape {
	sc := &scrape{}
	if host != nil {
		sc.view = host.View()
	}
	sc.refs.Store(1)
	return sc
}

// updateAlone runs c over a view of the caller's, for a collector called
// through Update rather than by the scheduler.
func updateAlone(c scrapeCollector, view *kmod.View, out *Sink) error {
	sc := &scrape{view: view}
	if view != nil {
		view.Retain()
	}
	sc.refs.Store(1)
	defer sc.release()
	return c.update(sc, out)
}

// retain holds the scrape for one more user; each retain needs a release.
func (sc *scrape) retain() { sc.refs.Add(1) }

// release ends one use of the scrape; the last ends the module snapshot and
// releases the view.
func (sc *scrape) release() {
	if sc.refs.Add(-1) != 0 {
		return
	}
	sc.modules.done()
	if sc.view != nil {
		sc.view.Release()
	}
}

// moduleState is one scrape's module snapshot and the requirements resolved
// against it. A Snapshot memoizes its lookups without locks, so a collector
// holds the state locked while it uses the snapshot.
type moduleState struct {
	mu    sync.Mutex
	read  bool
	ended bool
	snap  *kmod.Snapshot // nil if the kernel could not be read; err says why
	err   error          // what part of the snapshot could not be read
	// spec is the configuration in force when the snapshot was read;
	// required, rulesets and invalid are snap.Required's answer to it.
	spec     Requirements
	set      kmod.RequirementSet
	required map[string][]string
	rulesets []kmod.RulesetRead
	invalid  []kmod.BootEntry
}

// lock takes the state, reading the snapshot through view and resolving
// the requirements on first use. Each lock needs an unlock.
func (m *moduleState) lock(view *kmod.View, requirements func() Requirements) *moduleState {
	m.mu.Lock()
	if !m.read {
		m.read = true
		m.snap, m.err = view.Snapshot()
		if m.snap != nil {
			m.spec = requirements()
			m.set = m.snap.Requirements(m.spec, view.IptablesBackend())
			m.required, m.rulesets, m.invalid = m.snap.Resolved(m.set), m.set.Rulesets, m.set.Invalid
		}
	}
	return m
}

func (m *moduleState) unlock() { m.mu.Unlock() }

// done ends the snapshot (see kmod.Snapshot.Done), once.
func (m *moduleState) done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snap != nil && !m.ended {
		m.ended = true
		m.snap.Done()
	}
}
