package kmod

import "testing"

func TestIsNoopInstall(t *testing.T) {
	for cmd, want := range map[string]bool{
		"/bin/true": true, " /bin/false": true, "/usr/bin/true": true, "true": true, "false x": true,
		"/dev/null": true, ":": true, "exit 1": true,
		"/sbin/modprobe --ignore-install foo": false, "/usr/local/bin/load-foo": false, "": false,
	} {
		if got := IsNoopInstall(cmd); got != want {
			t.Errorf("IsNoopInstall(%q) = %v, want %v", cmd, got, want)
		}
	}
}
