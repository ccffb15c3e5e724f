package causes

import (
	"fmt"
	"strings"
	"sync"
	"text/template"
)

// Texts are a found cause's annotations, for a human at a terminal.
type Texts struct {
	Summary, Fix, Runbook string
}

// fixTemplates are the fix annotations parsed once, by cause name.
var fixTemplates = sync.OnceValues(func() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, d := range All() {
		// Prometheus defines $labels the same way before expanding.
		t, err := template.New(d.Name).Option("missingkey=zero").Parse("{{$labels := .Labels}}" + d.FixText())
		if err != nil {
			return nil, fmt.Errorf("causes: fix of %s: %w", d.Name, err)
		}
		out[d.Name] = t
	}
	return out, nil
})

// Render returns what the alert of c would say of it: the summary, the fix
// expanded with c's labels (instance set to instance unless c has one) and
// the runbook's URL.
func Render(c Cause, instance string) (Texts, error) {
	fixes, err := fixTemplates()
	if err != nil {
		return Texts{}, err
	}
	d, ok := Lookup(c.Alert)
	if !ok {
		return Texts{}, fmt.Errorf("causes: no cause named %q", c.Alert)
	}
	labels := map[string]string{"instance": instance}
	for k, v := range c.Labels {
		labels[k] = v
	}
	var fix strings.Builder
	// An expansion error leaves what was written, as Prometheus shows it.
	_ = fixes[c.Alert].Execute(&fix, struct{ Labels map[string]string }{labels})
	summary := d.Summary
	if d.ByPurpose() && labels["required_for"] == ForBoot {
		summary = d.BootSummary
	}
	return Texts{Summary: summary, Fix: fix.String(), Runbook: d.RunbookURL()}, nil
}
