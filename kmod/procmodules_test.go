package kmod

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseProcModules(t *testing.T) {
	in := "xt_state 16384 2 - Live 0xffffffffc0a1b000\n" +
		"nf_conntrack 176128 3 xt_state,xt_conntrack, Live 0x0000000000000000 (E)\n" +
		"going 100 0 - Unloading 0x0\n" +
		"permanent 100 - - Live 0x0\n" +
		"\n" +
		"broken line\n" +
		"bad 1 2 - Weird 0x0\n"
	got, err := ParseProcModules([]byte(in))
	if err == nil || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("want an error naming line 6, got %v", err)
	}
	want := map[string]LoadedModule{
		"xt_state":     {Name: "xt_state", Size: 16384, RefCount: 2, State: "Live"},
		"nf_conntrack": {Name: "nf_conntrack", Size: 176128, RefCount: 3, State: "Live"},
		"going":        {Name: "going", Size: 100, RefCount: 0, State: "Unloading"},
		"permanent":    {Name: "permanent", Size: 100, RefCount: -1, State: "Live"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
