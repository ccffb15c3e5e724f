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

// TestLoadedCacheFollowsContent: the parse of /proc/modules is reused only
// for the same bytes; any change of a line is parsed anew.
func TestLoadedCacheFollowsContent(t *testing.T) {
	var c loadedCache
	a := []byte("xt_state 16384 2 - Live 0x0\nnf_conntrack 176128 3 xt_state, Live 0x0\n")
	first, firstGen, err := c.parse(a)
	if err != nil || len(first) != 2 {
		t.Fatalf("first parse: %v %v", first, err)
	}
	// The same bytes in another buffer: the same map, the same parse.
	again, againGen, _ := c.parse(append([]byte(nil), a...))
	if reflect.ValueOf(again).UnsafePointer() != reflect.ValueOf(first).UnsafePointer() || againGen != firstGen {
		t.Errorf("identical content parsed again (parse %d, then %d)", firstGen, againGen)
	}
	// The caller's buffer is not kept: rewriting it after a new parse
	// must not change what the cache compares with.
	b := []byte("xt_state 16384 2 - Live 0x0\n")
	c.parse(b)
	copy(b, "nf_state")
	if m, gen, _ := c.parse([]byte("nf_state 16384 2 - Live 0x0\n")); m["nf_state"].Name != "nf_state" || gen == firstGen {
		t.Errorf("the cache followed the caller's buffer: %v", m)
	}
	for _, tc := range []struct {
		name, data string
		want       map[string]LoadedModule
		wantErr    bool
	}{
		{"refcount", "xt_state 16384 1 - Live 0x0\nnf_conntrack 176128 3 xt_state, Live 0x0\n",
			map[string]LoadedModule{"xt_state": {"xt_state", 16384, 1, "Live"}, "nf_conntrack": {"nf_conntrack", 176128, 3, "Live"}}, false},
		{"unloaded", "nf_conntrack 176128 3 xt_state, Live 0x0\n",
			map[string]LoadedModule{"nf_conntrack": {"nf_conntrack", 176128, 3, "Live"}}, false},
		{"bad line", "nf_conntrack 176128 3 xt_state, Live 0x0\nbroken\n",
			map[string]LoadedModule{"nf_conntrack": {"nf_conntrack", 176128, 3, "Live"}}, true},
		{"bad line again", "nf_conntrack 176128 3 xt_state, Live 0x0\nbroken\n",
			map[string]LoadedModule{"nf_conntrack": {"nf_conntrack", 176128, 3, "Live"}}, true},
		{"empty", "", map[string]LoadedModule{}, false},
	} {
		got, _, err := c.parse([]byte(tc.data))
		if !reflect.DeepEqual(got, tc.want) || (err != nil) != tc.wantErr {
			t.Errorf("%s: got %v, %v", tc.name, got, err)
		}
	}
}
