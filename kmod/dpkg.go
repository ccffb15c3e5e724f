package kmod

import (
	"bytes"
	"strings"
)

// DpkgVersion returns the version of an installed package from a dpkg
// status file, or "" when the package is not installed.
func DpkgVersion(status []byte, pkg string) string {
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
		if name == pkg && strings.HasSuffix(state, " installed") {
			return version
		}
	}
	return ""
}

// maxDpkgStatus bounds /var/lib/dpkg/status (a large server's is ~5 MiB).
const maxDpkgStatus = 64 << 20

// readIptablesVersion reads the dpkg status (see View.IptablesVersion).
func (v *View) readIptablesVersion() (version string, ok bool, err error) {
	version, ok, err = readCached(v, &v.host.dpkgCache, "/var/lib/dpkg/status", maxDpkgStatus, func(b []byte) (string, error) {
		return DpkgVersion(b, "iptables"), nil
	})
	return version, ok && version != "", err
}
