package kmod

import (
	"path"
	"strings"
)

// readIptablesBackend finds the backend (see View.IptablesBackend).
func (v *View) readIptablesBackend() string {
	h := v.host
	if target, err := v.files.Readlink("/etc/alternatives/iptables"); err == nil {
		switch base := path.Base(target); {
		case strings.Contains(base, "nft"):
			return "nf_tables"
		case strings.Contains(base, "legacy"):
			return "legacy"
		}
	}
	if _, err := h.proc.Stat("net/ip_tables_names"); err == nil {
		return "legacy"
	}
	if _, err := h.sys.Stat("module/nf_tables"); err == nil {
		return "nf_tables"
	}
	return ""
}
