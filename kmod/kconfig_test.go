package kmod

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKernelConfig(t *testing.T) {
	c := ParseKernelConfig([]byte("CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=\"str\"\n#CONFIG_E is not set\n"))
	for sym, want := range map[string]string{"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_C": "n", "CONFIG_D": "n", "CONFIG_E": "n", "CONFIG_MISSING": "n"} {
		if got := c.Tristate(sym); got != want {
			t.Errorf("%s = %q, want %q", sym, got, want)
		}
	}
	if c["CONFIG_D"] != "str" {
		t.Errorf("string value: %q", c["CONFIG_D"])
	}
	for m, want := range map[string]string{"xt_recent": "CONFIG_NETFILTER_XT_MATCH_RECENT", "xt_set": "CONFIG_NETFILTER_XT_SET",
		"xt_multiport": "CONFIG_NETFILTER_XT_MATCH_MULTIPORT", "nf_conntrack": "CONFIG_NF_CONNTRACK", "xt_tcpudp": "CONFIG_NETFILTER_XTABLES"} {
		if got, _ := ConfigSymbol(m); got != want {
			t.Errorf("ConfigSymbol(%s) = %q, want %q", m, got, want)
		}
	}
	// /proc/config.gz is the fallback when /boot has no config.
	d := copyTree(t, "healthy")
	must(t, os.Remove(filepath.Join(d, "root/boot/config-6.1.0-18-amd64")))
	h := NewHost(Paths{Proc: filepath.Join(d, "proc"), Sys: filepath.Join(d, "sys"), Root: filepath.Join(d, "root")})
	if _, _, ok, err := h.View().readKernelConfig("6.1.0-18-amd64"); ok || err != nil {
		t.Errorf("no config anywhere: ok=%v err=%v", ok, err)
	}
	writeGzip(t, filepath.Join(d, "proc/config.gz"), "CONFIG_NETFILTER_XT_SET=y\n")
	cfg, src, ok, err := h.View().readKernelConfig("6.1.0-18-amd64")
	if !ok || err != nil || src != "/proc/config.gz" || cfg.Tristate("CONFIG_NETFILTER_XT_SET") != "y" {
		t.Errorf("config.gz: %v %q %v %v", cfg, src, ok, err)
	}
	// Cached while unchanged, read again once changed.
	writeGzip(t, filepath.Join(d, "proc/config.gz"), "CONFIG_NETFILTER_XT_SET=m\nCONFIG_NF_CONNTRACK=m\n")
	if cfg, _, _, err := h.View().readKernelConfig("6.1.0-18-amd64"); err != nil || cfg.Tristate("CONFIG_NETFILTER_XT_SET") != "m" {
		t.Errorf("changed config.gz not read again: %v %v", cfg, err)
	}
}
