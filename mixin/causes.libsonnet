// Generated from causes/ by `make mixin`; do not edit.
// The settings that carry a threshold or a shipped text: their defaults
// (config.libsonnet) and the texts of the shipped rules they replace
// (alerts/alerts.libsonnet).
{
  defaults: {
    // Selects the exporter's scrape targets in KmodExporterDown's up{...}.
    kmodExporterSelector: "job=~\".*kmod.*\"",
    // Where runbook_url and the dashboard's links point (a fork, a wiki).
    runbookURLBase: "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/",
    // KmodConntrackTableNearFull: table use above this percentage.
    conntrackFullPercent: 90,
    // KmodModuleNotLoadedMemoryPressure: all tasks stalled on memory over this percentage of the last minute.
    memoryPressureFullPercent: 10,
    // KmodModuleNotLoadedMemoryPressure: or less than this percentage of memory available.
    memoryAvailablePercent: 5,
    // KmodTextfileStale: kmod.prom older than this many seconds.
    textfileStaleSeconds: 300,
  },
  edits: [
    { setting: "kmodExporterSelector", alert: "KmodExporterDown", field: "expr", shipped: "job=~\".*kmod.*\"", prefix: "", format: "plain" },
    { setting: "conntrackFullPercent", alert: "KmodConntrackTableNearFull", field: "expr", shipped: "> 0.9", prefix: "> ", format: "ratio" },
    { setting: "conntrackFullPercent", alert: "KmodConntrackTableNearFull", field: "summary", shipped: "90%", prefix: "", format: "percent" },
    { setting: "memoryPressureFullPercent", alert: "KmodModuleNotLoadedMemoryPressure", field: "expr", shipped: "> 0.1", prefix: "> ", format: "ratio" },
    { setting: "memoryPressureFullPercent", alert: "KmodModuleNotLoadedMemoryPressure", field: "description", shipped: "over 10%", prefix: "over ", format: "percent" },
    { setting: "memoryAvailablePercent", alert: "KmodModuleNotLoadedMemoryPressure", field: "expr", shipped: "< 0.05", prefix: "< ", format: "ratio" },
    { setting: "memoryAvailablePercent", alert: "KmodModuleNotLoadedMemoryPressure", field: "description", shipped: "under 5%", prefix: "under ", format: "percent" },
    { setting: "textfileStaleSeconds", alert: "KmodTextfileStale", field: "expr", shipped: "> 300", prefix: "> ", format: "plain" },
  ],
}
