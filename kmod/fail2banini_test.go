package kmod

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseF2bIni(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]map[string]string // section: key: value
		err      string
	}{
		{name: "sections and defaults", in: "[DEFAULT]\na = 1\n[x]\nB: two\n",
			want: map[string]map[string]string{"DEFAULT": {"a": "1"}, "x": {"b": "two"}}},
		{name: "continuation lines", in: "[x]\ncmd = one\n      two\n\n      three\nnext = 4\n",
			want: map[string]map[string]string{"DEFAULT": {}, "x": {"cmd": "one\ntwo\n\nthree", "next": "4"}}},
		{name: "comments", in: "# c\n; c\n[x]\na = 1 ; inline\nb = x;y\n  # inside a value, skipped\nc = 3\n",
			want: map[string]map[string]string{"DEFAULT": {}, "x": {"a": "1", "b": "x;y", "c": "3"}}},
		{name: "trailing blank lines dropped", in: "[x]\na = 1\n\n\n",
			want: map[string]map[string]string{"DEFAULT": {}, "x": {"a": "1"}}},
		{name: "repeated section merges", in: "[x]\na = 1\n[x]\na = 2\nb = 3\n",
			want: map[string]map[string]string{"DEFAULT": {}, "x": {"a": "2", "b": "3"}}},
		{name: "conditional section name kept", in: "[Init?family=inet6]\na = 1\n",
			want: map[string]map[string]string{"DEFAULT": {}, "Init?family=inet6": {"a": "1"}}},
		{name: "option outside a section", in: "a = 1\n", err: "line 1: option outside a section"},
		{name: "not an option", in: "[x]\njunk\n", err: "line 2: not an option"},
		{name: "CRLF", in: "[x]\r\na = 1\r\n", want: map[string]map[string]string{"DEFAULT": {}, "x": {"a": "1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseF2bIni([]byte(tc.in), "/f")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]string{"DEFAULT": values(f.defaults)}
			for _, s := range f.sections {
				got[s.name] = values(s)
			}
			if !maps.EqualFunc(got, tc.want, maps.Equal) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func values(s *f2bSection) map[string]string {
	out := map[string]string{}
	for k, v := range s.vals {
		out[k] = v.v
	}
	return out
}

func f2bConfigOf(t *testing.T, files ...string) *f2bConfig {
	t.Helper()
	c := newF2bConfig()
	for i, f := range files {
		parsed, err := parseF2bIni([]byte(f), string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		c.merge(parsed)
	}
	return c
}

// TestF2bInterpolation: %(name)s from the section, [DEFAULT], another
// section, the value before an override (known/), __name__; recursion
// ends in an error, not a hang.
func TestF2bInterpolation(t *testing.T) {
	c := f2bConfigOf(t,
		"[DEFAULT]\nport = 0:65535\nbanaction = iptables-multiport\naction_ = %(banaction)s[port=\"%(port)s\"]\naction = %(action_)s\nfilter = %(__name__)s\n[sshd]\nport = ssh\n[other]\nx = 1\n",
		"[DEFAULT]\nbanaction = nftables\n[sshd]\nport = %(known/port)s,2222\ny = %(other/x)s %(default/banaction)s %%\nloop = %(loop)s\n",
	)
	for _, tc := range []struct{ section, opt, want, err string }{
		{"sshd", "action", `nftables[port="ssh,2222"]`, ""},
		{"sshd", "filter", "sshd", ""},
		{"sshd", "y", "1 nftables %", ""},
		{"other", "action", `nftables[port="0:65535"]`, ""},
		{"sshd", "loop", "", "deeper than 10"},
		{"sshd", "missing", "", "no option"},
	} {
		got, err := c.get(tc.section, tc.opt, nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("[%s] %s: err %v, want %q", tc.section, tc.opt, err, tc.err)
			}
			continue
		}
		if err != nil || got.v != tc.want {
			t.Errorf("[%s] %s = %q, %v; want %q", tc.section, tc.opt, got.v, err, tc.want)
		}
	}
	// A conditional section becomes conditional options of its section.
	c = f2bConfigOf(t, "[Init]\nb = x\n[Init?family=inet6]\nb = y\n")
	if got := values(c.sections["Init"]); !maps.Equal(got, map[string]string{"b": "x", "b?family=inet6": "y"}) {
		t.Errorf("Init: %q", got)
	}
}

func TestF2bSubstTags(t *testing.T) {
	tags := map[string]string{
		"a": "<b>-<c>", "b": "<c>x", "c": "1", "cmd": "<iptables> -j <blocktype> <ip>",
		"iptables": "iptables <lockingopt>", "lockingopt": "-w",
		"blocktype": "REJECT", "blocktype?family=inet6": "REJECT6",
		"nested": "<ipt_<type>/rule>", "type": "multiport",
	}
	extra := func(tag string) (string, bool) {
		if tag == "ipt_multiport/rule" {
			return "-m multiport", true
		}
		return "", false
	}
	got, err := f2bSubstTags(tags, "family=inet6", map[string]bool{}, extra)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"a": "1x-1", "cmd": "iptables -w -j REJECT6 <ip>", "nested": "-m multiport"} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if _, err := f2bSubstTags(map[string]string{"a": "<b>", "b": "<a>"}, "", nil, nil); err == nil {
		t.Error("a loop resolved")
	}
	// Doubling on every level must stop at the length bound.
	big := map[string]string{}
	for i := 0; i < 30; i++ {
		big[string(rune('a'+i))] = "<" + string(rune('a'+i+1)) + "><" + string(rune('a'+i+1)) + ">"
	}
	if _, err := f2bSubstTags(big, "", nil, nil); err == nil {
		t.Error("exponential tags resolved")
	}
}

func TestF2bActions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`iptables-multiport[port="ssh", protocol="tcp", chain="<known/chain>"]`, []string{`iptables-multiport[port="ssh", protocol="tcp", chain="<known/chain>"]`}},
		{"a\n  b[x=1,\n y=2]  c [z='a b']", []string{"a", "b[x=1,\n y=2]", "c [z='a b']"}},
		{"", nil},
	} {
		if got := splitF2bActions(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("split %q = %q, want %q", tc.in, got, tc.want)
		}
	}
	name, opts, err := extractF2bOptions(`iptables[port="ssh,2222", protocol=tcp][chain='INPUT']`)
	if err != nil || name != "iptables" || !maps.Equal(opts, map[string]string{"port": "ssh,2222", "protocol": "tcp", "chain": "INPUT"}) {
		t.Errorf("extract: %q %q %v", name, opts, err)
	}
	if _, _, err := extractF2bOptions(`x[port="ssh`); err == nil {
		t.Error("unclosed quote accepted")
	}
}

func TestF2bScript(t *testing.T) {
	in := "{ iptables -w -C f2b-sshd -j RETURN >/dev/null 2>&1; } || { iptables -w -N f2b-sshd || true; iptables -w -A f2b-sshd -j RETURN; }\n" +
		"for proto in $(echo 'tcp,udp' | sed 's/,/ /g'); do\n" +
		"{ iptables -w -C INPUT -p $proto -j f2b-sshd >/dev/null 2>&1; } || { iptables -w -I INPUT -p $proto -j f2b-sshd; }\n" +
		"done\n" +
		"nft add set inet t s \\{ type ipv4_addr\\; \\}"
	var got []string
	for _, c := range f2bScript(in) {
		got = append(got, strings.Join(c, " "))
	}
	want := []string{
		"iptables -w -C f2b-sshd -j RETURN", "iptables -w -N f2b-sshd", "true", "iptables -w -A f2b-sshd -j RETURN",
		"iptables -w -C INPUT -p tcp -j f2b-sshd", "iptables -w -I INPUT -p tcp -j f2b-sshd",
		"iptables -w -C INPUT -p udp -j f2b-sshd", "iptables -w -I INPUT -p udp -j f2b-sshd",
		"nft add set inet t s { type ipv4_addr; }",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// FuzzF2bIni: any file parses or fails without panic, and interpolating
// and substituting every option ends.
func FuzzF2bIni(f *testing.F) {
	f.Add([]byte("[DEFAULT]\na = %(b)s\nb = %(a)s\n[Init]\nc = <d>\nd = <c>\n[Init?family=inet6]\nc = x\n"))
	f.Add([]byte("[INCLUDES]\nbefore = x.conf\n[Definition]\nactionstart = for p in $(echo '<protocol>' | sed 's/,/ /g'); do\n  iptables -I <chain> -p $p\n  done\n"))
	f.Add([]byte("[x]\na = %(known/a)s %(y/b)s %%\n  cont ; c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, err := parseF2bIni(data, "/f")
		if err != nil {
			return
		}
		c := newF2bConfig()
		c.merge(parsed)
		c.merge(parsed)
		tags := map[string]string{}
		for _, name := range c.order {
			for _, k := range c.sections[name].keys {
				if v, err := c.getEx(name, k, nil); err == nil {
					tags[k] = v.v
				}
			}
		}
		if out, err := f2bSubstTags(tags, "family=inet6", nil, nil); err == nil {
			for _, v := range out {
				f2bScript(v)
				splitF2bActions(v)
				extractF2bOptions(v)
			}
		}
	})
}
