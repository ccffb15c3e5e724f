package kmod

import (
	"reflect"
	"testing"
)

// The expectations below are what kmod 30's `modprobe -c -C DIR` printed for
// the same input; oracle_test.go repeats the comparison against the real
// tool where it is installed.
func TestParseModprobeConf(t *testing.T) {
	in := "blacklist a-b\n" +
		"  blacklist lead\n" +
		" # blacklist notcomment\n" +
		"#blacklist comment\n" +
		"blacklist\tt1 trailing words\n" +
		"black\\\nlist joined\n" +
		"blacklist x\\yz\n" +
		"install  i-1   /bin/true  arg\n" +
		"install\n" +
		"softdep s1 pre: p1  post: q1\n" +
		"alias al-x[a-b]-y mod-z\n" +
		"blacklist nul\x00after\n" +
		"BLACKLIST upper\n" +
		"options o1 a=1\tb=2\n" +
		"remove r1 /bin/false\n" +
		"include /etc/x\n" +
		"blacklist last\\"
	got, bad := ParseModprobeConf([]byte(in), "/etc/modprobe.d/t.conf")
	p := "/etc/modprobe.d/t.conf"
	want := []Directive{
		{"blacklist", "a_b", "", p, 1},
		{"blacklist", "lead", "", p, 2},
		{"blacklist", "t1", "", p, 5},
		{"blacklist", "joined", "", p, 6},
		{"blacklist", "xyz", "", p, 8},
		{"install", "i_1", "  /bin/true  arg", p, 9},
		{"softdep", "s1", "pre: p1  post: q1", p, 11},
		{"alias", "al_x[a-b]_y", "mod_z", p, 12},
		{"blacklist", "nul", "", p, 13},
		{"options", "o1", "a=1 b=2", p, 15},
		{"remove", "r1", "/bin/false", p, 16},
		{"blacklist", "last\xff", "", p, 18},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("directives:\n got %+v\nwant %+v", got, want)
	}
	wantBad := []BadLine{{p, 3, "#"}, {p, 10, "install"}, {p, 14, "BLACKLIST"}, {p, 17, "include"}}
	if !reflect.DeepEqual(bad, wantBad) {
		t.Errorf("bad lines:\n got %v\nwant %v", bad, wantBad)
	}
}

func TestParseModprobeConfEdges(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // Command Name Value for each directive
	}{
		{"", nil},
		{"\n\n\n", nil},
		{"blacklist", nil},
		{"blacklist ", nil},
		{"options foo", nil},
		{"options foo ", nil}, // nothing after the separator
		{"options foo  ", []string{"options foo  "}}, // one space of value survives
		{"alias onlyone", nil},
		{"blacklist foo\r", []string{"blacklist foo\r "}},
		{"\\\n\\\nblacklist cont", []string{"blacklist cont "}},
		{"blacklist dash-in[x-y]", []string{"blacklist dash_in[x-y] "}},
		{"blacklist unmatched[a-b", []string{"blacklist unmatched[a-b "}},
		{"softdep m pre:", []string{"softdep m pre:"}},
	} {
		got, _ := ParseModprobeConf([]byte(tc.in), "f")
		var short []string
		for _, d := range got {
			short = append(short, d.Command+" "+d.Name+" "+d.Value)
		}
		if !reflect.DeepEqual(short, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.in, short, tc.want)
		}
	}
}

func TestSoftDeps(t *testing.T) {
	pre, post := SoftDeps("ignored pre: a b\tpost: c pre: d")
	if !reflect.DeepEqual(pre, []string{"a", "b", "d"}) || !reflect.DeepEqual(post, []string{"c"}) {
		t.Errorf("pre %v post %v", pre, post)
	}
	if pre, post := SoftDeps("nothing here"); pre != nil || post != nil {
		t.Errorf("words before pre:/post: must be ignored, got %v %v", pre, post)
	}
}

func FuzzParseModprobeConf(f *testing.F) {
	f.Add([]byte("blacklist a-b\ninstall x /bin/true\nalias a[b-c] d\\\ne\n"))
	f.Add([]byte("options foo\tbar=1\x00\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dirs, bad := ParseModprobeConf(data, "f")
		for _, d := range dirs {
			if d.Name == "" || d.Line < 1 {
				t.Fatalf("directive without name or line: %+v", d)
			}
		}
		for _, b := range bad {
			if b.Line < 1 {
				t.Fatalf("bad line without number: %+v", b)
			}
		}
	})
}
