package kmod

import (
	"reflect"
	"strings"
	"testing"
)

// Expectations from kmod 30: the "blacklist" lines `modprobe -c` printed with
// the same text bind-mounted over /proc/cmdline.
func TestKmodCmdlineBlacklist(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		want    []string
	}{
		{"quiet modprobe.blacklist=nf-conntrack,xt_recent foo.bar=1", []string{"nf-conntrack", "xt_recent"}},
		{`modprobe.blacklist="a,b" x`, []string{`"a`, `b"`}},
		{`"modprobe.blacklist=q" a.b.c=d`, []string{`"q"`}},
		{"modprobe.blacklist=z -- modprobe.blacklist=after", []string{"z", "after"}},
		{`x.y="a b" modprobe.blacklist=m1`, []string{"m1"}},
		{"modprobe.blacklist=k1 modprobe.blacklist=k2,,k3", []string{"k1", "k2", "", "k3"}},
		{"modprobe.blacklist=n1\nmodprobe.blacklist=n2", []string{"n1", "n2"}},
		{"modprobe.a.blacklist=x modprobe.blacklist", nil},
		{"", nil},
		{`modprobe.blacklist="unterminated x`, nil},
	} {
		if got := kmodBlacklist(tc.cmdline); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.cmdline, got, tc.want)
		}
	}
	// kmod reads at most 4095 bytes of the command line.
	long := strings.Repeat("x", kcmdlineSize-1) + " modprobe.blacklist=late"
	if got := kmodBlacklist(long); got != nil {
		t.Errorf("entry past kmod's 4095-byte read must be invisible, got %q", got)
	}
}

func TestKernelParams(t *testing.T) {
	got := KernelParams(`  a=1 b="x y"  "c=d e" flag module-blacklist=m1,m2 -- module_blacklist=init`)
	want := []KernelParam{
		{"a", "1", true}, {"b", "x y", true}, {"c", "d e", true}, {"flag", "", false}, {"module-blacklist", "m1,m2", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := KernelModuleBlacklist(got); !reflect.DeepEqual(got, []string{"m1", "m2"}) {
		t.Errorf("module_blacklist: got %q", got)
	}
	// The last occurrence wins, as for any charp kernel parameter.
	if got := KernelModuleBlacklist(KernelParams("module_blacklist=a module_blacklist=b,,c")); !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Errorf("last wins: got %q", got)
	}
	if got := CmdlineModulesLoad(KernelParams("modules_load=a,b rd.modules-load=c x.modules_load=no")); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("modules_load: got %q", got)
	}
}

func FuzzCmdline(f *testing.F) {
	f.Add(`quiet modprobe.blacklist="a,b" module_blacklist=x -- y`)
	f.Add("\"\"\"=.=..")
	f.Fuzz(func(t *testing.T, s string) {
		kmodBlacklist(s)
		params := KernelParams(s)
		if len(params) > len(s) {
			t.Fatalf("%d params from %d bytes", len(params), len(s))
		}
		KernelModuleBlacklist(params)
		CmdlineModulesLoad(params)
	})
}

func kmodBlacklist(s string) []string {
	b, _ := KmodCmdline(s)
	return b
}

func TestKmodCmdlineOptions(t *testing.T) {
	_, opts := KmodCmdline(`nf-conntrack.hashsize=4 x.y="a b" quiet a.b.c=d "q.r=s"`)
	var got []string
	for _, o := range opts {
		got = append(got, o.Name+" "+o.Value)
	}
	want := []string{"nf_conntrack hashsize=4", `x y="a b"`, `q r="s"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}
