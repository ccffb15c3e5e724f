package collector

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

func text(t *testing.T, families []*dto.MetricFamily) string {
	t.Helper()
	var b strings.Builder
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// Families come out as the registry gives them: sorted by name, series
// sorted by label values in the order of the sorted label names, counters
// typed as counters.
func TestBuildFamiliesOrder(t *testing.T) {
	info := NewDesc("kmod_test_info", "Info.", "zeta", "alpha")
	total := newCounterDesc("test", "b_total", "A counter.")
	plain := NewDesc("kmod_test_a", "Plain.")
	one, two := &Sink{}, &Sink{}
	one.Add(info, 1, "z2", "a1")
	one.Add(total, 7)
	two.Add(info, 1, "z1", "a2")
	two.Add(info, 1, "z0", "a1")
	two.Add(plain, 3)
	families, err := buildFamilies([]*Sink{one, two})
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP kmod_test_a Plain.
# TYPE kmod_test_a gauge
kmod_test_a 3
# HELP kmod_test_b_total A counter.
# TYPE kmod_test_b_total counter
kmod_test_b_total 7
# HELP kmod_test_info Info.
# TYPE kmod_test_info gauge
kmod_test_info{alpha="a1",zeta="z0"} 1
kmod_test_info{alpha="a1",zeta="z2"} 1
kmod_test_info{alpha="a2",zeta="z1"} 1
`
	if got := text(t, families); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// A label value that is not UTF-8 (a file name can be any bytes) is made
// valid rather than failing the scrape; a repeated series is dropped and
// reported, as the registry does.
func TestBuildFamiliesBadInput(t *testing.T) {
	d := NewDesc("kmod_test_path", "Path.", "path")
	s := &Sink{}
	s.Add(d, 1, "/etc/modprobe.d/\xff.conf")
	s.Add(d, 1, "/etc/a.conf")
	s.Add(d, 2, "/etc/a.conf")
	families, err := buildFamilies([]*Sink{s})
	if err == nil || !strings.Contains(err.Error(), `kmod_test_path{path="/etc/a.conf"} was collected twice`) {
		t.Errorf("duplicate not reported: %v", err)
	}
	want := "# HELP kmod_test_path Path.\n# TYPE kmod_test_path gauge\n" +
		"kmod_test_path{path=\"/etc/a.conf\"} 1\nkmod_test_path{path=\"/etc/modprobe.d/\uFFFD.conf\"} 1\n"
	if got := text(t, families); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Through Collect the same value reaches the registry valid.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewFromCollectors(nil, map[string]Collector{"bad": badCollector{}}, log.NewNopLogger()))
	if _, err := reg.Gather(); err != nil {
		t.Errorf("the registry rejects the series: %v", err)
	}
}

type badCollector struct{}

var badDesc = NewDesc("kmod_test_bad", "Bad.", "path")

func (badCollector) Update(_ *kmod.View, out *Sink) error {
	out.Add(badDesc, 1, "\xfe\xff")
	return nil
}

// Gather and the registry (Collect, one constant metric per series) give
// the same families for every fixture scenario.
func TestGatherMatchesRegistry(t *testing.T) {
	scenarios, err := filepath.Glob("../fixtures/*/proc")
	if err != nil || len(scenarios) < 16 {
		t.Fatalf("%d scenarios: %v", len(scenarios), err)
	}
	for _, dir := range scenarios {
		dir = filepath.Dir(dir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			kc, err := New(Options{
				Host: fixtureHost(dir),
				Requirements: func() Requirements {
					return Requirements{Modules: []Requirement{
						{Name: "nf_conntrack", Source: "default"}, {Name: "xt_recent", Source: "config"}, {Name: "ipt_set", Source: "flag"},
					}, IncludeBoot: true, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}
				},
			}, log.NewNopLogger(), Names()...)
			if err != nil {
				t.Fatal(err)
			}
			direct, err := kc.Gather()
			if err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(kc)
			viaRegistry, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			durations := func(s string) string {
				var out []string
				for _, l := range strings.Split(s, "\n") {
					if !strings.HasPrefix(l, "kmod_scrape_collector_duration_seconds{") {
						out = append(out, l)
					}
				}
				return strings.Join(out, "\n")
			}
			if a, b := durations(text(t, direct)), durations(text(t, viaRegistry)); a != b {
				t.Errorf("Gather and the registry differ:\n%s\n---\n%s", a, b)
			}
			if n, err := testutil.GatherAndCount(kc); err != nil || n < 20 {
				t.Errorf("%d series, %v", n, err)
			}
		})
	}
}

// changingCollector reports whatever its fields say at each scrape.
type changingCollector struct {
	value float64
	label string
}

var changingDesc = NewDesc("kmod_test_changing", "Changing.", "module")

func (c *changingCollector) Update(_ *kmod.View, out *Sink) error {
	out.Add(changingDesc, c.value, c.label)
	out.Add(changingDesc, 1, "other")
	return nil
}

// A family whose series are unchanged is served as built last time; any
// change of a value or a label builds it again.
func TestFamilyCacheFollowsChanges(t *testing.T) {
	c := &changingCollector{value: 1, label: "nf_conntrack"}
	kc := NewFromCollectors(nil, map[string]Collector{"changing": c}, log.NewNopLogger())
	family := func() *dto.MetricFamily {
		t.Helper()
		families, err := kc.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "kmod_test_changing" {
				return f
			}
		}
		t.Fatal("family missing")
		return nil
	}
	first := family()
	if again := family(); again != first {
		t.Error("an unchanged family was built again")
	}
	c.value = 0
	changed := family()
	if changed == first || changed.Metric[0].GetGauge().GetValue() != 0 {
		t.Errorf("value change not seen: %v", changed)
	}
	c.label = "xt_recent"
	relabeled := family()
	if got := text(t, []*dto.MetricFamily{relabeled}); !strings.Contains(got, `kmod_test_changing{module="xt_recent"} 0`) || strings.Contains(got, "nf_conntrack") {
		t.Errorf("label change not seen:\n%s", got)
	}
	// The first family, which a slow client may still be reading, is as it was.
	if got := text(t, []*dto.MetricFamily{first}); !strings.Contains(got, `kmod_test_changing{module="nf_conntrack"} 1`) {
		t.Errorf("a served family was modified:\n%s", got)
	}
}
