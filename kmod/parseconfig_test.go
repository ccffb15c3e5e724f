package kmod

import (
	"reflect"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(DefaultConfigYAML)
	if err != nil || !reflect.DeepEqual(c.Modules, []string{"nf_conntrack"}) || !c.IncludeLoadOnBoot {
		t.Errorf("embedded default: %+v %v", c, err)
	}
	for _, bad := range []string{"modules: [../x]", "modulez: [a]", "modules: a", "\x00\x01", "modules: [\"a/b\"]"} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("ParseConfig(%q) accepted it", bad)
		}
	}
}
