// Settings of the kmod_exporter mixin. The defaults give exactly the shipped
// alerts/kmod_exporter.rules.yml, alerts/kmod_exporter.recording.yml and
// dashboards/kmod_exporter.json; override them instead of editing rules:
//
//   (import 'kmod_exporter-mixin/mixin.libsonnet') + {
//     _config+:: { kmodExporterSelector: 'job="kmod-exporter"', 'for'+: { KmodExporterDown: '15m' } },
//   }
{
  _config+:: {
    // Selects the exporter's scrape targets in KmodExporterDown's up{...}.
    kmodExporterSelector: 'job=~".*kmod.*"',
    // Where runbook_url and the dashboard's links point (a fork, a wiki).
    runbookURLBase: 'https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/',
    // KmodConntrackTableNearFull: table use above this percentage.
    conntrackFullPercent: 90,
    // KmodModuleNotLoadedMemoryPressure: all tasks stalled on memory over
    // this percentage of the last minute, or less than that much available.
    memoryPressureFullPercent: 10,
    memoryAvailablePercent: 5,
    // KmodTextfileStale: kmod.prom older than this many seconds.
    textfileStaleSeconds: 300,
    // The for: duration of the alerts named, e.g. {KmodExporterDown: '15m'};
    // an alert not named keeps the shipped one.
    'for': {},
    // The severity label of the alerts named, e.g. {KmodModuleNotPersistent: 'warning'}.
    severity: {},
  },
}
