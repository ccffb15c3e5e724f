package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

func TestParseFirewalldConf(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		key      string
		want     firewalldSetting
		found    bool
	}{
		{"set", "# c\nFirewallBackend=iptables\n", "FirewallBackend", firewalldSetting{"iptables", 2}, true},
		{"spaces", "  LogDenied = all  \n", "LogDenied", firewalldSetting{"all", 1}, true},
		{"last wins", "LogDenied=all\nLogDenied=off\n", "LogDenied", firewalldSetting{"off", 2}, true},
		{"comment", "#LogDenied=all\n", "LogDenied", firewalldSetting{}, false},
		{"no equals", "LogDenied all\n", "LogDenied", firewalldSetting{}, false},
		{"empty value", "DefaultZone=\n", "DefaultZone", firewalldSetting{"", 1}, true},
		{"no newline", "IPv6_rpfilter=no", "IPv6_rpfilter", firewalldSetting{"no", 1}, true},
		{"crlf", "IPv6_rpfilter=no\r\n", "IPv6_rpfilter", firewalldSetting{"no", 1}, true},
	} {
		conf, err := parseFirewalldConf([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := conf[tc.key]
		if ok != tc.found || got != tc.want {
			t.Errorf("%s: %s = %+v %v, want %+v %v", tc.name, tc.key, got, ok, tc.want, tc.found)
		}
	}
	conf, _ := parseFirewalldConf([]byte("IPv6_rpfilter=No\nRFC3964_IPv4=true\nLogDenied=maybe\n"))
	if on, line := conf.yes("IPv6_rpfilter", true); on || line != 1 {
		t.Errorf("IPv6_rpfilter=No: %v line %d", on, line)
	}
	if on, _ := conf.yes("RFC3964_IPv4", false); !on {
		t.Error("RFC3964_IPv4=true is off")
	}
	if on, line := conf.yes("Lockdown", true); !on || line != 0 {
		t.Errorf("unset Lockdown: %v line %d", on, line)
	}
	var many strings.Builder
	for i := range 2 * maxFirewalldKeys {
		many.WriteString("K" + strings.Repeat("x", i) + "=1\n")
	}
	if conf, _ := parseFirewalldConf([]byte(many.String())); len(conf) != maxFirewalldKeys {
		t.Errorf("%d keys kept", len(conf))
	}
}

func TestParseFirewalldXML(t *testing.T) {
	zone := `<?xml version="1.0" encoding="utf-8"?>
<zone target="DROP">
  <short>Z</short>
  <masquerade/>
  <rule family="ipv4">
    <log prefix="p" level="info">
      <limit value="3/m"/>
    </log>
    <accept/>
  </rule>
  <forward-port port="80" protocol="tcp" to-addr="192.0.2.1"/>
</zone>
`
	doc, err := parseFirewalldXML([]byte(zone))
	if err != nil {
		t.Fatal(err)
	}
	type el struct {
		name, parent string
		line, rule   int
	}
	var got []el
	for _, e := range doc.Elements {
		got = append(got, el{e.Name, e.Parent, e.Line, e.Rule})
	}
	want := []el{{"zone", "", 2, -1}, {"short", "zone", 3, -1}, {"masquerade", "zone", 4, -1}, {"rule", "zone", 5, 3},
		{"log", "rule", 6, 3}, {"limit", "log", 7, 3}, {"accept", "rule", 9, 3}, {"forward-port", "zone", 11, -1}}
	if !slices.Equal(got, want) {
		t.Errorf("elements\n got %v\nwant %v", got, want)
	}
	if doc.Root() != "zone" || doc.attr("target") != "DROP" || doc.Elements[7].Attrs["to-addr"] != "192.0.2.1" {
		t.Errorf("root %q target %q forward-port %v", doc.Root(), doc.attr("target"), doc.Elements[7].Attrs)
	}

	for _, tc := range []struct{ name, in, err string }{
		{"empty", "", "no root element"},
		{"not closed", "<zone>\n<service name=\"ssh\">\n</zone>", "line 3: </zone> closes <service>"},
		{"unclosed root", "<zone>\n", "<zone> is not closed"},
		{"two roots", "<zone/>\n<zone/>", "line 2: second root element <zone>"},
		{"stray end", "</zone>", "line 1: unexpected </zone>"},
		{"bad attr", "<zone\n a=b/>", "line 2"},
		{"deep", strings.Repeat("<a>", maxFirewalldDepth+1), "nested deeper"},
	} {
		_, err := parseFirewalldXML([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	if _, err := parseFirewalldXML([]byte("<zone>" + strings.Repeat("<p/>", maxFirewalldElements) + "</zone>")); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many elements: %v", err)
	}
}

// TestParseFirewalldPackage: every XML file Debian's firewalld ships
// parses, with the root its directory holds.
func TestParseFirewalldPackage(t *testing.T) {
	pkg := testenv.Package(t, "firewalld")
	roots := map[string]string{"zones": "zone", "policies": "policy", "services": "service", "helpers": "helper", "ipsets": "ipset", "icmptypes": "icmptype"}
	n := 0
	for kind, root := range roots {
		files, _ := filepath.Glob(filepath.Join(pkg, "usr/lib/firewalld", kind, "*.xml"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			must(t, err)
			doc, err := parseFirewalldXML(b)
			if err != nil || doc.Root() != root {
				t.Errorf("%s: root %q, %v", f, doc.Root(), err)
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d files in the package", n)
	}
	b, err := os.ReadFile(filepath.Join(pkg, "etc/firewalld/firewalld.conf"))
	must(t, err)
	conf, _ := parseFirewalldConf(b)
	if v, line := conf.get("FirewallBackend", ""); v != "nftables" || line == 0 {
		t.Errorf("the package's FirewallBackend: %q line %d", v, line)
	}
}

func FuzzParseFirewalldXML(f *testing.F) {
	f.Add([]byte("<zone><rule><log><limit value=\"1/m\"/></log></rule></zone>"))
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"latin1\"?><service><helper name=\"ftp\"/></service>"))
	f.Add([]byte("<a><b></a>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := parseFirewalldXML(data)
		if err == nil && (len(doc.Elements) == 0 || len(doc.Elements) > maxFirewalldElements) {
			t.Fatalf("%d elements without error", len(doc.Elements))
		}
		for i, e := range doc.Elements {
			if e.Rule >= len(doc.Elements) || e.Rule > i || len(e.Attrs) > maxFirewalldAttrs {
				t.Fatalf("element %d: %+v", i, e)
			}
		}
	})
}

func FuzzParseFirewalldConf(f *testing.F) {
	f.Add([]byte("FirewallBackend=iptables\n#x\nLogDenied=all"))
	f.Fuzz(func(t *testing.T, data []byte) {
		conf, err := parseFirewalldConf(data)
		if err != nil || len(conf) > maxFirewalldKeys {
			t.Fatalf("%d keys, %v", len(conf), err)
		}
	})
}
