package kmod

import (
	"reflect"
	"testing"
)

func TestParseModulesLoad(t *testing.T) {
	got := ParseModulesLoad([]byte("# c\n; c\n  xt_recent  \n\nfoo bar\n"), "/etc/modules-load.d/x.conf")
	want := []BootEntry{{"xt_recent", "/etc/modules-load.d/x.conf", 3}, {"foo bar", "/etc/modules-load.d/x.conf", 5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	got = ParseEtcModules([]byte("# /etc/modules\nloop max_loop=8\n#lp\n\tvfio\n"), "/etc/modules")
	want = []BootEntry{{"loop", "/etc/modules", 2}, {"vfio", "/etc/modules", 4}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("etc/modules: got %v", got)
	}
}
