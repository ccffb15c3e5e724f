// The shipped alerts (kmod_exporter.rules.libsonnet, a copy of
// alerts/kmod_exporter.rules.yml made by `make mixin`) with the settings of
// config.libsonnet applied.
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

  // Edits of one alert's expression and text by its thresholds.
  local thresholds = {
    KmodExporterDown(r): r {
      expr: lib.replace(r.alert, r.expr, lib.shipped.selector, cfg.kmodExporterSelector),
    },
    KmodConntrackTableNearFull(r): r {
      expr: lib.replace(r.alert, r.expr, '> 0.9', '> ' + ratio(cfg.conntrackFullPercent)),
      annotations+: { summary: lib.replace(r.alert, r.annotations.summary, '90%', pct(cfg.conntrackFullPercent)) },
    },
    KmodModuleNotLoadedMemoryPressure(r): r {
      expr: lib.replace(r.alert, lib.replace(r.alert, r.expr,
                                             '> 0.1', '> ' + ratio(cfg.memoryPressureFullPercent)),
                        '< 0.05', '< ' + ratio(cfg.memoryAvailablePercent)),
      annotations+: { description: lib.replace(r.alert, lib.replace(r.alert, r.annotations.description,
                                                                    'over 10%', 'over ' + pct(cfg.memoryPressureFullPercent)),
                                               'under 5%', 'under ' + pct(cfg.memoryAvailablePercent)) },
    },
    KmodTextfileStale(r): r {
      expr: lib.replace(r.alert, r.expr, '> 300', '> ' + std.toString(cfg.textfileStaleSeconds)),
    },
  },

  local configure(r) =
    local t = if std.objectHas(thresholds, r.alert) then thresholds[r.alert](r) else r;
    t {
      [if std.objectHas(cfg['for'], r.alert) then 'for']: cfg['for'][r.alert],
      labels+: { [if std.objectHas(cfg.severity, r.alert) then 'severity']: cfg.severity[r.alert] },
      annotations+: { runbook_url: lib.replace(r.alert, r.annotations.runbook_url, lib.shipped.runbookURLBase, cfg.runbookURLBase) },
    },

  prometheusAlerts+:: {
    groups+: [g { rules: [configure(r) for r in g.rules] } for g in shipped.groups],
  },
}
