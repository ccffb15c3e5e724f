package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
)

// memIncluder includes from an in-memory host: files by path, a path
// mapped to nil being unreadable.
func memIncluder(files map[string]*string) *nftIncluder {
	return &nftIncluder{
		load: func(p string) (nftLexed, bool, error) {
			data, ok := files[p]
			switch {
			case !ok:
				return nftLexed{}, false, nil
			case data == nil:
				return nftLexed{}, true, fs.ErrPermission
			}
			return lexNftables([]byte(*data)), true, nil
		},
		glob: func(pattern string) ([]string, error) {
			if _, err := path.Match(pattern, ""); err != nil {
				return nil, err
			}
			var out []string
			for p := range files {
				ok, err := path.Match(pattern, p)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, p)
				}
			}
			slices.Sort(out)
			return out, nil
		},
	}
}

func str(s string) *string { return &s }

// needNames lists needs as "module", "logger N-T" or "alias A".
func needNames(needs []Need) []string {
	var out []string
	for _, n := range needs {
		switch n.Kind {
		case "logger", "alias":
			out = append(out, n.Kind+" "+n.Name)
		default:
			out = append(out, n.Name)
		}
	}
	return out
}

func TestExpandNftables(t *testing.T) {
	chain := func(stmt string) *string {
		return str("table inet t {\n\tchain c {\n\t\t" + stmt + "\n\t}\n}\n")
	}
	for _, c := range []struct {
		name    string
		top     string
		files   map[string]*string
		want    []string // needs
		at      map[string]nftAt
		invalid []string // "line: reason"
		read    []string // included files
		err     bool
	}{
		{
			name:  "relative include is looked up in /etc",
			top:   "include \"fw/a.nft\"\n",
			files: map[string]*string{"/etc/fw/a.nft": chain("ct state new accept")},
			want:  []string{"nf_tables", "nft_ct", "nf_conntrack"},
			at:    map[string]nftAt{"nft_ct": {"/etc/fw/a.nft", 3}, "nf_tables": {"/etc/nftables.conf", 0}},
			read:  []string{"/etc/fw/a.nft"},
		},
		{
			name:  "./ and ../ are relative to the service's working directory, /",
			top:   "include \"./a.nft\"\ninclude \"../b.nft\"\n",
			files: map[string]*string{"/a.nft": chain("limit rate 1/second"), "/b.nft": chain("quota 10 mbytes"), "/etc/a.nft": chain("masquerade")},
			want:  []string{"nf_tables", "nft_limit", "nft_quota"},
			read:  []string{"/a.nft", "/b.nft"},
		},
		{
			name: "a glob is read in sorted order; one matching nothing is no error",
			top:  "include \"/etc/nftables.d/*.nft\"\ninclude \"/etc/none/*.nft\"\n",
			files: map[string]*string{
				"/etc/nftables.d/20-b.nft": chain("log"),
				"/etc/nftables.d/10-a.nft": chain("limit rate 1/second"),
				"/etc/nftables.d/x.conf":   chain("masquerade"),
			},
			want: []string{"nf_tables", "nft_limit", "nft_log", "logger 2-0", "logger 10-0"},
			at:   map[string]nftAt{"nft_log": {"/etc/nftables.d/20-b.nft", 3}},
			read: []string{"/etc/nftables.d/10-a.nft", "/etc/nftables.d/20-b.nft"},
		},
		{
			name:    "a missing plain file is an error, reported on the top file's line",
			top:     "flush ruleset\ninclude \"/etc/gone.nft\"\n",
			want:    []string{"nf_tables"},
			invalid: []string{`2: include "/etc/gone.nft": file not found: /etc/gone.nft`},
		},
		{
			name: "an include inside a table takes its family",
			top:  "table ip6 f {\n\tinclude \"chains.inc\"\n}\n",
			files: map[string]*string{
				"/etc/chains.inc": str("chain c {\n\ttcp dport 23 reject\n}\n"),
			},
			want: []string{"nf_tables", "nft_reject_ipv6"},
			read: []string{"/etc/chains.inc"},
		},
		{
			name: "an invalid line of an included file is reported on the include",
			top:  "\ninclude \"a.nft\"\n",
			files: map[string]*string{
				"/etc/a.nft": str("include \"b.nft\"\n"),
				"/etc/b.nft": str("table ip x {\n}\n}\n"),
			},
			want:    []string{"nf_tables"},
			invalid: []string{"2: /etc/b.nft:3: unbalanced }"},
			read:    []string{"/etc/a.nft", "/etc/b.nft"},
		},
		{
			name: "a cycle is reported, not followed",
			top:  "include \"a.nft\"\n",
			files: map[string]*string{
				"/etc/a.nft": str("include \"b.nft\"\nlimit rate 1/second\n"),
				"/etc/b.nft": str("include \"a.nft\"\n"),
			},
			want:    []string{"nf_tables", "nft_limit"},
			invalid: []string{`1: /etc/b.nft:1: include "a.nft": /etc/a.nft includes itself`},
			read:    []string{"/etc/a.nft", "/etc/b.nft"},
		},
		{
			name:    "the top file including itself",
			top:     "include \"nftables.conf\"\n",
			want:    []string{"nf_tables"},
			invalid: []string{`1: include "nftables.conf": /etc/nftables.conf includes itself`},
		},
		{
			name: "an unreadable file is an error, the rest still read",
			top:  "include \"a.nft\"\ninclude \"b.nft\"\n",
			files: map[string]*string{
				"/etc/a.nft": nil,
				"/etc/b.nft": chain("log group 2"),
			},
			want: []string{"nf_tables", "nft_log", "logger 2-1", "logger 10-1"},
			read: []string{"/etc/a.nft", "/etc/b.nft"},
			err:  true,
		},
		{
			name: "a define's value is no statement; $NAME is substituted where used",
			top: strings.Join([]string{
				"define S = dnat",
				"define PORTS = { 22, 80 }",
				"define M = {",
				"  snat,",
				"  dnat",
				"}",
				"table ip t {",
				"\tchain c {",
				"\t\tct status $S accept",
				"\t\tct status $M tcp dport $PORTS accept",
				"\t\tip saddr $UNDEFINED accept",
				"\t}",
				"}",
			}, "\n"),
			want: []string{"nf_tables", "nft_ct", "nf_conntrack"},
		},
		{
			name: "a variable may name a keyword a statement then needs",
			top:  "define WHAT = reject\ntable ip6 t {\n\tchain c {\n\t\ttcp dport 23 $WHAT\n\t}\n}\n",
			want: []string{"nf_tables", "nft_reject_ipv6"},
			at:   map[string]nftAt{"nft_reject_ipv6": {"/etc/nftables.conf", 4}},
		},
		{
			name: "redefine, undefine, and the longest defined name",
			top:  "define A = 1\nredefine A = log\ndefine B = 2\nundefine B\ndefine lo = limit\ntable ip t {\n\tchain c {\n\t\tct state $B $A\n\t\t$lo-$hi\n\t}\n}\n",
			want: []string{"nf_tables", "nft_ct", "nf_conntrack", "nft_log", "logger 2-0", "nft_limit"},
		},
		{
			name: "defines in an included file hold after the include",
			top:  "include \"defs.nft\"\ntable ip t {\n\tchain c {\n\t\t$STMT\n\t}\n}\n",
			files: map[string]*string{
				"/etc/defs.nft": str("define STMT = masquerade\n"),
			},
			want: []string{"nf_tables", "nft_masq"},
			read: []string{"/etc/defs.nft"},
		},
		{
			name:    "bad include and define lines",
			top:     "include\ndefine X\ninclude \"[\"\n",
			want:    []string{"nf_tables"},
			invalid: []string{"1: include without a quoted file name", "2: define without NAME = value", `3: include "[": not a valid pattern`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			exp := expandNftables("/etc/nftables.conf", lexNftables([]byte(c.top)), memIncluder(c.files))
			if got := needNames(exp.Needs); !slices.Equal(got, c.want) {
				t.Errorf("needs %q, want %q", got, c.want)
			}
			for i, n := range exp.Needs {
				if w, ok := c.at[n.Name]; ok && exp.At[i] != w {
					t.Errorf("%s asked at %+v, want %+v", n.Name, exp.At[i], w)
				}
			}
			var invalid []string
			for _, l := range exp.Invalid {
				invalid = append(invalid, fmt.Sprintf("%d: %s", l.Line, l.Reason))
			}
			if !slices.Equal(invalid, c.invalid) {
				t.Errorf("invalid %q, want %q", invalid, c.invalid)
			}
			if !slices.Equal(exp.Files, c.read) {
				t.Errorf("files read %q, want %q", exp.Files, c.read)
			}
			if (exp.Err != nil) != c.err {
				t.Errorf("err %v, want an error: %v", exp.Err, c.err)
			}
			if c.name == "an unreadable file is an error, the rest still read" && !errors.Is(exp.Err, fs.ErrPermission) {
				t.Errorf("err %v, want permission denied", exp.Err)
			}
		})
	}
}

// TestExpandNftablesBounds: deep nesting stops at nft's 16 levels, and a
// fan-out of globs including globs at the file bound, quickly.
func TestExpandNftablesBounds(t *testing.T) {
	files := map[string]*string{}
	for i := 1; i <= 20; i++ {
		files[fmt.Sprintf("/etc/d%d.nft", i)] = str(fmt.Sprintf("include \"d%d.nft\"\n", i+1))
	}
	exp := expandNftables("/etc/nftables.conf", lexNftables([]byte("include \"d1.nft\"\n")), memIncluder(files))
	if len(exp.Files) != nftMaxIncludeDepth-1 || len(exp.Invalid) != 1 || !strings.Contains(exp.Invalid[0].Reason, "/etc/d15.nft:1: include \"d16.nft\": nested too deeply, max 16 levels") {
		t.Errorf("depth: read %d files, invalid %+v", len(exp.Files), exp.Invalid)
	}

	// Every file includes every file: without bounds, 50^16 reads.
	files = map[string]*string{}
	for i := range 50 {
		files[fmt.Sprintf("/etc/f/%02d.nft", i)] = str("include \"/etc/f/*.nft\"\nlimit rate 1/second\n")
	}
	exp = expandNftables("/etc/nftables.conf", lexNftables([]byte("include \"/etc/f/*.nft\"\n")), memIncluder(files))
	if len(exp.Files) != 50 || !slices.Equal(needNames(exp.Needs), []string{"nf_tables", "nft_limit"}) {
		t.Errorf("fan-out: read %d files, needs %v", len(exp.Files), exp.Needs)
	}
	if !slices.ContainsFunc(exp.Invalid, func(l InvalidLine) bool { return strings.Contains(l.Reason, "more than 256 included files") }) {
		t.Errorf("fan-out: the file bound is not reported: %d invalid, first %+v", len(exp.Invalid), exp.Invalid[0])
	}

	// Variables doubling at each define stop at the expansion bound.
	var b strings.Builder
	b.WriteString("define v0 = x\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "define v%d = $v%d $v%d\n", i, i-1, i-1)
	}
	b.WriteString("table ip t {\n\tchain c {\n\t\tip saddr $v39 limit rate 1/second\n\t}\n}\n")
	exp = expandNftables("/etc/nftables.conf", lexNftables([]byte(b.String())), memIncluder(nil))
	if !slices.Equal(needNames(exp.Needs), []string{"nf_tables", "nft_limit"}) || len(exp.Invalid) == 0 {
		t.Errorf("doubling defines: needs %v, invalid %+v", needNames(exp.Needs), exp.Invalid)
	}
}

// FuzzExpandNftables: no panic or hang whatever the files hold and
// however they include each other. Files are the input split at NUL:
// /etc/f0.nft (the top file), /etc/f1.nft, ...
func FuzzExpandNftables(f *testing.F) {
	f.Add("include \"f1.nft\"\ndefine X = log\n$X\x00include \"f*.nft\"\ntable ip6 t { reject }")
	f.Add("define A = {\n$A $A\n}\ninclude \"[\"\x00}}}{")
	f.Add("include \"/etc/f0.nft\"\ninclude \"./x\"\ninclude \"\"")
	f.Add("table inet t {\nct helper h { type \"ftp\" protocol tcp; }\nflowtable ft { devices = { lo } }\nchain c { ct count over 2 notrack flow add @ft; ct helper set \"h\" }\n}\ntable netdev n { chain c { fwd to \"lo\" } }\ntype \"\" type \"{\"\x00define T = type\n$T \"sip\"")
	f.Add("define H = \"ftp\"\nredefine O=\"o\"\ninclude \"f1.nft\"\x00table ip t { ct helper h { type $H protocol tcp; }; ct timeout set { }; counter name \"$O\"; chain c { ct expectation set $O dup to 1.2.3.4; quota name; limit name tcp dport map { 1 : $O } } }\ndefine \"x\"\ndefine y= \"")
	f.Fuzz(func(t *testing.T, in string) {
		files := map[string]*string{}
		for i, data := range strings.Split(in, "\x00") {
			if i == 0 {
				continue
			}
			files[fmt.Sprintf("/etc/f%d.nft", i)] = str(data)
		}
		top, _, _ := strings.Cut(in, "\x00")
		exp := expandNftables("/etc/f0.nft", lexNftables([]byte(top)), memIncluder(files))
		if len(exp.Needs) != len(exp.At) || len(exp.Needs) == 0 || exp.Needs[0].Name != "nf_tables" {
			t.Fatalf("needs %v at %v", exp.Needs, exp.At)
		}
		if len(exp.Files) > nftMaxIncludes {
			t.Fatalf("%d files read", len(exp.Files))
		}
	})
}
