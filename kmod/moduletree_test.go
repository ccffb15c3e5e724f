package kmod

import "testing"

func TestTreeOf(t *testing.T) {
	const dir = "/lib/modules/6.1.0-18-amd64"
	for p, want := range map[string]string{
		"kernel/net/netfilter/xt_set.ko.xz":            TreeInKernel,
		"updates/dkms/zfs.ko":                          TreeOutOfTree,
		"extra/nvidia.ko.xz":                           TreeOutOfTree,
		"misc/dkms/vboxdrv.ko":                         TreeOutOfTree,
		dir + "/kernel/lib/libcrc32c.ko":               TreeInKernel,
		dir + "/updates/wireguard.ko":                  TreeOutOfTree,
		"/lib/modules/6.1.0-17-amd64/kernel/fs/zfs.ko": "", // another release's absolute path is not under dir
		"weak-updates/kmod.ko":                         "",
		"":                                             "",
	} {
		if got := treeOf(p, dir); got != want {
			t.Errorf("treeOf(%q) = %q, want %q", p, got, want)
		}
	}
}
