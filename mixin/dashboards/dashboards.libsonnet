// The shipped dashboard (kmod_exporter.libsonnet, a copy of
// dashboards/kmod_exporter.json made by `make mixin`), its runbook links
// under runbookURLBase.
local lib = import '../lib.libsonnet';
local shipped = import 'kmod_exporter.libsonnet';

{
  grafanaDashboards+:: {
    'kmod_exporter.json': lib.replaceAll(shipped, lib.shipped.runbookURLBase, $._config.runbookURLBase),
  },
}
