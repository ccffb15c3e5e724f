package causes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MixinSetting is a setting of the mixin's _config that carries a
// threshold or a shipped text: its default, and the texts of the shipped
// rules it replaces.
type MixinSetting struct {
	Name    string
	Doc     string
	Default any
	Edits   []MixinEdit
}

// MixinEdit is where a setting's value goes: in the shipped rule of Alert,
// field (expr, or an annotation) holds Shipped, which becomes Prefix and
// the setting printed as Format (ratio: a percentage as the ratio PromQL
// compares with; percent; plain).
type MixinEdit struct {
	Alert, Field, Shipped, Prefix, Format string
}

// edit is an edit of text that the shipped rule writes as prefix+value.
func edit(alert, field, prefix, value, format string) MixinEdit {
	return MixinEdit{Alert: alert, Field: field, Shipped: prefix + value, Prefix: prefix, Format: format}
}

// MixinSettings are the mixin's settings of thresholds and shipped texts;
// for and severity overrides apply to any alert and need no list.
var MixinSettings = []MixinSetting{
	{Name: "kmodExporterSelector", Doc: "Selects the exporter's scrape targets in " + ExporterDown + "'s up{...}.", Default: ExporterSelector,
		Edits: []MixinEdit{edit(ExporterDown, "expr", "", ExporterSelector, "plain")}},
	{Name: "runbookURLBase", Doc: "Where runbook_url and the dashboard's links point (a fork, a wiki).", Default: RunbookBase},
	{Name: "conntrackFullPercent", Doc: ConntrackTableNearFull + ": table use above this percentage.", Default: ConntrackNearFullRatio * 100,
		Edits: []MixinEdit{
			edit(ConntrackTableNearFull, "expr", "> ", ratio(ConntrackNearFullRatio), "ratio"),
			edit(ConntrackTableNearFull, "summary", "", percent(ConntrackNearFullRatio), "percent"),
		}},
	{Name: "memoryPressureFullPercent", Doc: ModuleNotLoadedMemoryPressure + ": all tasks stalled on memory over this percentage of the last minute.",
		Default: MemoryPressureFullRatio * 100,
		Edits: []MixinEdit{
			edit(ModuleNotLoadedMemoryPressure, "expr", "> ", ratio(MemoryPressureFullRatio), "ratio"),
			edit(ModuleNotLoadedMemoryPressure, "description", "over ", percent(MemoryPressureFullRatio), "percent"),
		}},
	{Name: "memoryAvailablePercent", Doc: ModuleNotLoadedMemoryPressure + ": or less than this percentage of memory available.",
		Default: MemoryAvailableRatio * 100,
		Edits: []MixinEdit{
			edit(ModuleNotLoadedMemoryPressure, "expr", "< ", ratio(MemoryAvailableRatio), "ratio"),
			edit(ModuleNotLoadedMemoryPressure, "description", "under ", percent(MemoryAvailableRatio), "percent"),
		}},
	{Name: "textfileStaleSeconds", Doc: TextfileStale + ": kmod.prom older than this many seconds.", Default: TextfileStaleSeconds,
		Edits: []MixinEdit{edit(TextfileStale, "expr", "> ", strconv.Itoa(TextfileStaleSeconds), "plain")}},
}

// MixinLibsonnet is mixin/causes.libsonnet: the settings' defaults, which
// config.libsonnet takes, and their edits, which alerts.libsonnet applies.
func MixinLibsonnet() []byte {
	var b strings.Builder
	b.WriteString("// Generated from causes/ by `make mixin`; do not edit.\n")
	b.WriteString("// The settings that carry a threshold or a shipped text: their defaults\n")
	b.WriteString("// (config.libsonnet) and the texts of the shipped rules they replace\n// (alerts/alerts.libsonnet).\n{\n  defaults: {\n")
	for _, s := range MixinSettings {
		fmt.Fprintf(&b, "    // %s\n    %s: %s,\n", s.Doc, s.Name, jsonValue(s.Default))
	}
	b.WriteString("  },\n  edits: [\n")
	for _, s := range MixinSettings {
		for _, e := range s.Edits {
			fmt.Fprintf(&b, "    { setting: %s, alert: %s, field: %s, shipped: %s, prefix: %s, format: %s },\n", jsonValue(s.Name),
				jsonValue(e.Alert), jsonValue(e.Field), jsonValue(e.Shipped), jsonValue(e.Prefix), jsonValue(e.Format))
		}
	}
	b.WriteString("  ],\n}\n")
	return []byte(b.String())
}

// jsonValue is v as JSON (which jsonnet reads), with PromQL's < and >
// left readable.
func jsonValue(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // strings and numbers only
	}
	return strings.TrimSuffix(b.String(), "\n")
}
