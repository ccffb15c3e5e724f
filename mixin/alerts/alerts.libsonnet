// The shipped alerts (kmod_exporter.rules.libsonnet, a copy of
// alerts/kmod_exporter.rules.yml made by `make mixin`) with the settings of
// config.libsonnet applied where causes.libsonnet says each one goes.
local causes = import '../causes.libsonnet';
local lib = import '../lib.libsonnet';
local shipped = import 'kmod_exporter.rules.libsonnet';

{
  local cfg = self._config,
  local pct(p) = std.toString(p) + '%',
  // A percentage as the ratio PromQL compares with, in decimal digits:
  // std.toString(p / 100) would print 0.1 as 0.10000000000000001.
  local ratio(p) =
    local s = std.format('%06d', std.floor(p * 1000 + 0.5));
    local frac = std.rstripChars(s[std.length(s) - 5:], '0');
    s[:std.length(s) - 5] + (if frac == '' then '' else '.' + frac),

  // The text a setting puts where the shipped rule has e.shipped.
  local value(e) =
    local v = cfg[e.setting];
    e.prefix + (if e.format == 'ratio' then ratio(v) else if e.format == 'percent' then pct(v) else std.toString(v)),

  // One edit of a rule's expression or annotation by its setting.
  local edit(r, e) =
    if e.field == 'expr' then r { expr: lib.replace(r.alert, r.expr, e.shipped, value(e)) }
    else r { annotations+: { [e.field]: lib.replace(r.alert, r.annotations[e.field], e.shipped, value(e)) } },

  local configure(r) =
    local t = std.foldl(edit, [e for e in causes.edits if e.alert == r.alert], r);
    t {
      [if std.objectHas(cfg['for'], r.alert) then 'for']: cfg['for'][r.alert],
      labels+: { [if std.objectHas(cfg.severity, r.alert) then 'severity']: cfg.severity[r.alert] },
      annotations+: { runbook_url: lib.replace(r.alert, r.annotations.runbook_url, lib.shipped.runbookURLBase, cfg.runbookURLBase) },
    },

  prometheusAlerts+:: {
    groups+: [g { rules: [configure(r) for r in g.rules] } for g in shipped.groups],
  },
}
