package kmod

import (
	"slices"
	"testing"
)

// The index must answer exactly what trying every pattern in file order
// answers, repeats included, whatever the patterns and the name.
func FuzzAliasIndex(f *testing.F) {
	f.Add([]byte("alias ipt_recent xt_recent\nalias ipt_* a\nalias *recent b\nalias ipt_recent c\nalias i[pq]t_r* d\n"), "ipt_recent")
	f.Add([]byte("alias a\\* x\nalias a? y\nalias ab z\n"), "ab")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		aliases, _ := ParseModulesAlias(data)
		x := NewAliasIndex(aliases)
		if got, want := x.match(name), matchAliases(aliases, name); !slices.Equal(got, want) {
			t.Fatalf("index %q, every pattern %q", got, want)
		}
		for i, a := range aliases {
			if x.at(i) != a {
				t.Fatalf("alias %d: %v, want %v", i, x.at(i), a)
			}
		}
	})
}

func TestAliasIndexMatchesEveryPattern(t *testing.T) {
	data := "alias ipt_recent xt_recent\nalias ipt_* catchall\nalias *recent suffix\nalias ipt_recent again\n" +
		"alias i[pq]t_r* bracket\nalias pci:v00008086d*sv*sd*bc*sc*i* e1000e\nalias net-pf-16-proto-12 nfnetlink\n"
	aliases, err := ParseModulesAlias([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	x := NewAliasIndex(aliases)
	for name, want := range map[string][]string{
		// File order, the repeat of xt_recent's line kept as kmod keeps it.
		"ipt_recent":         {"xt_recent", "catchall", "suffix", "again", "bracket"},
		"iqt_rx":             {"bracket"},
		"ipt_x":              {"catchall"},
		"net_pf_16_proto_12": {"nfnetlink"},
		"pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00": {"e1000e"},
		"nothing": nil,
	} {
		if got := x.match(name); !slices.Equal(got, want) {
			t.Errorf("%s: got %q want %q", name, got, want)
		}
		if got := matchAliases(aliases, name); !slices.Equal(got, want) {
			t.Errorf("%s by every pattern: got %q want %q", name, got, want)
		}
	}
}
