// The shipped recording rules of the dashboard's Fleet row
// (kmod_exporter.recording.libsonnet, a copy of
// alerts/kmod_exporter.recording.yml made by `make mixin`).
local shipped = import 'kmod_exporter.recording.libsonnet';

{
  prometheusRules+:: {
    groups+: shipped.groups,
  },
}
