package kmod

import (
	"reflect"
	"testing"
)

func TestParseModulesBuiltin(t *testing.T) {
	got := ParseModulesBuiltin([]byte("kernel/fs/ext4/ext4.ko\n\nkernel/drivers/char/hw-random/rng-core.ko\n# x\n"))
	if !reflect.DeepEqual(got, map[string]bool{"ext4": true, "rng_core": true}) {
		t.Errorf("got %v", got)
	}
	aliases := ParseBuiltinModinfo([]byte("ext4.alias=fs-ext4\x00ext4.license=GPL\x00noalias\x00.alias=x\x00unix.alias=net-pf-1\x00"))
	want := []Alias{{"fs_ext4", "ext4"}, {"net_pf_1", "unix"}}
	if !reflect.DeepEqual(aliases, want) {
		t.Errorf("builtin aliases: got %v want %v", aliases, want)
	}
}
