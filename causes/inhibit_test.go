package causes

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

func parsePromQL(t *testing.T, expr string) parser.Expr {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("%v\n%s", err, expr)
	}
	return e
}

// TestRuleExprExcludesExplained: each alert that an inhibition targets is
// its own condition "unless" the sources' ALERTS on job and the Equal
// labels, one clause per inhibition, in that order; PromQL parses it that
// way (the condition whole on the left); other alerts keep their condition.
func TestRuleExprExcludesExplained(t *testing.T) {
	targeted := 0
	for _, d := range All() {
		rels := explainedBy(d.Name)
		e := parsePromQL(t, d.RuleExpr())
		if d.KeepFiringFor != "" {
			e = keptBranch(t, d, e)
		}
		if slices.Contains(followDependency, d.Name) {
			e = dependencyBranch(t, d, e)
		}
		for i := len(rels) - 1; i >= 0; i-- {
			b, ok := e.(*parser.BinaryExpr)
			if !ok || b.Op != parser.LUNLESS || b.VectorMatching == nil || !b.VectorMatching.On ||
				!slices.Equal(b.VectorMatching.MatchingLabels, append([]string{"job"}, rels[i].Equal...)) {
				t.Fatalf("%s: clause %d is %s, want unless on (job, %s)", d.Name, i, e, strings.Join(rels[i].Equal, ", "))
			}
			want := parsePromQL(t, "ALERTS{"+alertnameMatcher(rels[i].Sources)+"}").String()
			if got := b.RHS.String(); got != want {
				t.Errorf("%s: clause %d excludes %s, want %s", d.Name, i, got, want)
			}
			e = b.LHS
		}
		if p, ok := e.(*parser.ParenExpr); ok && len(rels) > 0 && topLevelOr(d.Expr) {
			e = p.Expr
		}
		if d.ByPurpose() {
			e = purposeJoin(t, d, e)
		}
		if got, want := e.String(), parsePromQL(t, d.Expr).String(); got != want {
			t.Errorf("%s: condition %s, want %s", d.Name, got, want)
		}
		if len(rels) > 0 || slices.Contains(followDependency, d.Name) {
			targeted++
		}
	}
	// NotLoaded, the two x_tables symptoms and NoModules' other followers,
	// and the two collector failures (an exporter that cannot see the host);
	// the dependency's symptoms all follow a missing tree too.
	if targeted != len(followNoTree)+2 {
		t.Errorf("%d alerts exclude a cause, want %d", targeted, len(followNoTree)+2)
	}
}

// TestExplanationsAcyclic: no alert is, through a chain of inhibitions,
// quiet because of itself; two such alerts would silence each other and
// the root cause would give no alert at all.
func TestExplanationsAcyclic(t *testing.T) {
	var visit func(name string, path []string)
	visit = func(name string, path []string) {
		if slices.Contains(path, name) {
			t.Fatalf("cycle: %s", strings.Join(append(path, name), " <- "))
		}
		for _, r := range explainedBy(name) {
			for _, s := range r.Sources {
				visit(s, append(slices.Clip(path), name))
			}
		}
	}
	for _, d := range All() {
		visit(d.Name, nil)
	}
}

func TestTopLevelOr(t *testing.T) {
	for expr, want := range map[string]bool{
		"a or b":                    true,
		"a\nor b":                   true,
		"a and (b or c)":            false,
		`a{x="b or c"}`:             false,
		"a and on (instance) order": false,
		"kmod_module_loaded == 0":   false,
	} {
		if got := topLevelOr(expr); got != want {
			t.Errorf("topLevelOr(%q) = %v, want %v", expr, got, want)
		}
	}
	d := Definition{Name: ModuleNotLoaded, Expr: "a == 0 or b == 0"}
	if got, want := d.RuleExpr(), "(\n  a == 0 or b == 0\n)\nunless on (job, instance, module) ALERTS"; !strings.HasPrefix(got, want) {
		t.Errorf("RuleExpr of a top-level or: %q, want prefix %q", got, want)
	}
}

// dependencyBranch checks that a symptom a dependency's cause explains is
// quiet, on its module, where a dependency_usable series of the module
// names a module that has such an alert; it returns the rest.
func dependencyBranch(t *testing.T, d Definition, e parser.Expr) parser.Expr {
	t.Helper()
	b, ok := e.(*parser.BinaryExpr)
	if !ok || b.Op != parser.LUNLESS || b.VectorMatching == nil || !b.VectorMatching.On || !slices.Equal(b.VectorMatching.MatchingLabels, []string{"job", "instance", "module"}) {
		t.Fatalf("%s: %s is not unless on (job, instance, module) a dependency's cause", d.Name, e)
	}
	rhs := b.RHS
	if p, ok := rhs.(*parser.ParenExpr); ok {
		rhs = p.Expr
	}
	and, ok := rhs.(*parser.BinaryExpr)
	if !ok || and.Op != parser.LAND || !slices.Equal(and.VectorMatching.MatchingLabels, []string{"job", "instance", "dependency"}) ||
		and.LHS.String() != "kmod_module_dependency_usable" {
		t.Fatalf("%s: %s does not join dependency_usable on the dependency", d.Name, rhs)
	}
	want := parsePromQL(t, `label_replace(ALERTS{`+alertnameMatcher(explainsDependents)+`}, "dependency", "$1", "module", "(.*)")`).String()
	if got := and.RHS.String(); got != want {
		t.Errorf("%s: the dependency's alerts are %s, want %s", d.Name, got, want)
	}
	return b.LHS
}

// purposeJoin checks that a ByPurpose alert's condition is joined with
// its module's required_for label, and returns the condition.
func purposeJoin(t *testing.T, d Definition, e parser.Expr) parser.Expr {
	t.Helper()
	b, ok := e.(*parser.BinaryExpr)
	if !ok || b.Op != parser.MUL || b.VectorMatching == nil || b.VectorMatching.Card != parser.CardManyToOne ||
		!slices.Equal(b.VectorMatching.MatchingLabels, []string{"job", "instance", "module"}) || !slices.Equal(b.VectorMatching.Include, []string{"required_for", "tree"}) {
		t.Fatalf("%s: %s is not its condition * on (job, instance, module) group_left (required_for, tree)", d.Name, e)
	}
	if got, want := b.RHS.String(), parsePromQL(t, "("+purposeExpr+")").String(); got != want {
		t.Errorf("%s: required_for from %s, want %s", d.Name, got, want)
	}
	if p, ok := b.LHS.(*parser.ParenExpr); ok {
		return p.Expr
	}
	return b.LHS
}

// keptBranch checks that a kept alert is its condition "or ignoring
// (alertname, severity)" its own firing ALERTS while a collector fails,
// and returns the condition.
func keptBranch(t *testing.T, d Definition, e parser.Expr) parser.Expr {
	t.Helper()
	b, ok := e.(*parser.BinaryExpr)
	if !ok || b.Op != parser.LOR || b.VectorMatching == nil || b.VectorMatching.On || !slices.Equal(b.VectorMatching.MatchingLabels, []string{"alertname", "severity"}) {
		t.Fatalf("%s: %s is not its condition or ignoring (alertname, severity) what fired", d.Name, e)
	}
	kept := b.RHS.String()
	for _, want := range []string{`ALERTS{alertname="` + d.Name + `",alertstate="firing"}`, "kmod_scrape_collector_success", "[" + d.KeepFiringFor + "]"} {
		if !strings.Contains(kept, want) {
			t.Errorf("%s: the kept branch %s lacks %s", d.Name, kept, want)
		}
	}
	if p, ok := b.LHS.(*parser.ParenExpr); ok {
		return p.Expr
	}
	return b.LHS
}
