package kmod

import "testing"

func TestDpkgVersion(t *testing.T) {
	status := "Package: iptables\nStatus: deinstall ok config-files\nVersion: 1.8.7-1\n\nPackage: iptables\nStatus: install ok installed\nDescription: x\n Version: 0.0 in a description\nVersion: 1.8.9-2\n\nPackage: iptables-persistent\nStatus: install ok installed\nVersion: 1.0.20\n"
	if got := DpkgVersion([]byte(status), "iptables"); got != "1.8.9-2" {
		t.Errorf("got %q", got)
	}
	if got := DpkgVersion([]byte(status), "nftables"); got != "" {
		t.Errorf("absent package: %q", got)
	}
}
