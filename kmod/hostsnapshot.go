package kmod

// Snapshot reads the host through a view of its own, which the snapshot's
// Done releases. Read through a View (View.Snapshot) instead: this is kept
// only for collector/bench_test.go and the package's tests, and moves to a
// _test.go file once the benchmark takes a View.
func (h *Host) Snapshot() (*Snapshot, error) {
	v := h.View()
	s, err := v.Snapshot()
	if s == nil {
		v.Release()
		return nil, err
	}
	s.ownsView = true
	return s, err
}

// IptablesBackend is View.IptablesBackend on a view of its own, kept only
// for collector/bench_test.go (see Snapshot).
func (h *Host) IptablesBackend() string {
	v := h.View()
	defer v.Release()
	return v.IptablesBackend()
}
