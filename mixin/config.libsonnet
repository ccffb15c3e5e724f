// Settings of the kmod_exporter mixin. The defaults give exactly the shipped
// alerts/kmod_exporter.rules.yml, alerts/kmod_exporter.recording.yml and
// dashboards/kmod_exporter.json; override them instead of editing rules, as
// README.md shows. The thresholds' defaults, and what each one names, are
// generated from causes/ into causes.libsonnet.
local causes = import 'causes.libsonnet';

{
  _config+:: causes.defaults {
    // The for: duration of the alerts named, e.g. {AlertName: '15m'}; an
    // alert not named keeps the shipped one.
    'for': {},
    // The severity label of the alerts named, e.g. {AlertName: 'warning'}.
    severity: {},
  },
}
