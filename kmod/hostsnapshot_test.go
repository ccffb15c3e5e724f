package kmod

// Snapshot reads the host through a view of its own, which the snapshot's
// Done releases: a shorthand for the package's tests, which read one
// snapshot at a time.
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
