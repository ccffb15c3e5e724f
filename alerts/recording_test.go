package alerts_test

import "testing"

// TestRecordingRules: the fleet's recording rules are valid and their
// promtool unit tests (hosts per cause per cluster) pass.
func TestRecordingRules(t *testing.T) {
	run(t, "promtool", "check", "rules", "kmod_exporter.recording.yml")
	run(t, "promtool", "test", "rules", "kmod_exporter.recording.tests.yml")
}
