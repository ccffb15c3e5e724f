// kmod_exporter's monitoring mixin: prometheusAlerts, prometheusRules and
// grafanaDashboards, set by config.libsonnet.
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
