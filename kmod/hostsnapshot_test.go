package kmod

import "testing"

// readSnapshot reads the host through a view of its own, released when the
// test ends: a shorthand for tests that read one snapshot at a time.
func readSnapshot(tb testing.TB, h *Host) (*Snapshot, error) {
	v := h.View()
	tb.Cleanup(v.Release)
	return v.Snapshot()
}
