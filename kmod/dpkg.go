package kmod

import (
	"bytes"
	"strconv"
	"strings"
)

// DpkgVersion returns the version of an installed package from a dpkg
// status file, or "" when the package is not installed.
func DpkgVersion(status []byte, pkg string) string {
	return dpkgVersions(status, pkg)[pkg]
}

// dpkgVersions returns the versions of the installed packages among pkgs,
// in one pass over the status file.
func dpkgVersions(status []byte, pkgs ...string) map[string]string {
	out := map[string]string{}
	for _, para := range bytes.Split(status, []byte("\n\n")) {
		var name, version, state string
		eachLine(para, func(line []byte, _ int) {
			k, v, ok := bytes.Cut(line, []byte(":"))
			if !ok || len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
				return
			}
			switch string(k) {
			case "Package":
				name = string(bytes.TrimSpace(v))
			case "Version":
				version = string(bytes.TrimSpace(v))
			case "Status":
				state = string(bytes.TrimSpace(v))
			}
		})
		for _, p := range pkgs {
			if name == p && strings.HasSuffix(state, " installed") {
				out[p] = version
			}
		}
	}
	return out
}

// maxDpkgStatus bounds /var/lib/dpkg/status (a large server's is ~5 MiB).
const maxDpkgStatus = 64 << 20

// dpkgPackages are the packages whose versions the exporter uses: iptables
// (IptablesVersion), dockerd's, Docker's own docker-ce or the
// distribution's docker.io (dockerRelease), and the kubelet of the
// Kubernetes packages (kubeletRelease).
var dpkgPackages = []string{"iptables", "docker-ce", "docker.io", "kubelet"}

// readDpkgVersions reads the dpkg status once per change of the file.
func (v *View) readDpkgVersions() (map[string]string, bool, error) {
	return readCached(v, &v.host.dpkgCache, "/var/lib/dpkg/status", maxDpkgStatus, func(b []byte) (map[string]string, error) {
		return dpkgVersions(b, dpkgPackages...), nil
	})
}

// readIptablesVersion reads the dpkg status (see View.IptablesVersion).
func (v *View) readIptablesVersion() (version string, ok bool, err error) {
	m, ok, err := v.readDpkgVersions()
	version = m["iptables"]
	return version, ok && version != "", err
}

// release is a Docker or Kubernetes release, major.minor; the zero value
// is unknown.
type release struct{ major, minor int }

func (r release) known() bool { return r.major > 0 }

// atLeast says whether r is major.minor or later; an unknown release is
// never.
func (r release) atLeast(major, minor int) bool {
	return r.known() && (r.major > major || r.major == major && r.minor >= minor)
}

// parseRelease reads major.minor from a Debian package version: an epoch
// ("5:28.0.1-1~debian.12~bookworm", docker-ce) is skipped, a suffix
// ("20.10.24+dfsg1-1+deb12u1", docker.io) ignored. Anything else is
// unknown.
func parseRelease(version string) release {
	if _, after, ok := strings.Cut(version, ":"); ok {
		version = after
	}
	majorS, rest, ok := strings.Cut(version, ".")
	if !ok {
		return release{}
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	major, err1 := strconv.Atoi(majorS)
	minor, err2 := strconv.Atoi(rest[:end])
	if err1 != nil || err2 != nil || major <= 0 || major > 1000 || minor > 1000 {
		return release{}
	}
	return release{major, minor}
}

// dockerRelease is the installed dockerd's release according to dpkg:
// docker-ce when installed, else docker.io. Unknown without dpkg, for a
// dockerd installed otherwise (static binaries, snap, RPM), or when the
// status file cannot be read (IptablesVersion reports that).
func (v *View) dockerRelease() release {
	m, _, err := v.readDpkgVersions()
	if err != nil {
		return release{}
	}
	if r := parseRelease(m["docker-ce"]); r.known() {
		return r
	}
	return parseRelease(m["docker.io"])
}

// kubeletRelease is the installed kubelet's release according to dpkg (the
// kubelet package of the Kubernetes repositories, which kubeadm nodes
// install); unknown otherwise.
func (v *View) kubeletRelease() release {
	m, _, err := v.readDpkgVersions()
	if err != nil {
		return release{}
	}
	return parseRelease(m["kubelet"])
}
