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

func TestDpkgVersions(t *testing.T) {
	status := "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1+deb12u1+b6\n\nPackage: docker-ce\nStatus: deinstall ok config-files\nVersion: 5:28.0.1-1~debian.12~bookworm\n\nPackage: iptables\nStatus: install ok installed\nVersion: 1.8.9-2\n"
	got := dpkgVersions([]byte(status), dpkgPackages...)
	want := map[string]string{"iptables": "1.8.9-2", "docker.io": "20.10.24+dfsg1-1+deb12u1+b6"}
	if len(got) != len(want) || got["iptables"] != want["iptables"] || got["docker.io"] != want["docker.io"] {
		t.Errorf("got %q, want %q (docker-ce is removed, its config files left)", got, want)
	}
}

func TestParseRelease(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want release
	}{
		{"20.10.24+dfsg1-1+deb12u1+b6", release{20, 10}},  // Debian 12's docker.io
		{"5:28.0.1-1~debian.12~bookworm", release{28, 0}}, // Docker's docker-ce
		{"5:27.5.1-1~ubuntu.24.04~noble", release{27, 5}},
		{"27.5.1-0ubuntu3~24.04.2", release{27, 5}}, // Ubuntu's docker.io
		{"26.1.5+dfsg1-9+b1", release{26, 1}},
		{"", release{}},
		{"28", release{}},
		{"x.1", release{}},
		{"0.9.1", release{}},
		{"5:", release{}},
		{"99999999999999999999.1", release{}},
	} {
		if got := parseRelease(tc.in); got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		r            release
		major, minor int
		want         bool
	}{
		{release{27, 4}, 27, 4, true}, {release{27, 3}, 27, 4, false}, {release{28, 0}, 27, 4, true},
		{release{20, 10}, 27, 0, false}, {release{}, 0, 0, false},
	} {
		if got := tc.r.atLeast(tc.major, tc.minor); got != tc.want {
			t.Errorf("%+v at least %d.%d: %v", tc.r, tc.major, tc.minor, got)
		}
	}
}
