// Generated from alerts/kmod_exporter.recording.yml by `make mixin`; do not edit.
{
  "groups": [
    {
      "name": "kmod_exporter.fleet",
      "rules": [
        {
          "expr": "group by (cluster, job, instance, module) (\n  kmod_module_loaded == 0\n    and on (job, instance, module) kmod_module_required\n)\n",
          "labels": {
            "cause": "not loaded",
            "runbook": "KmodModuleNotLoaded"
          },
          "record": "instance_module:kmod_module_unhealthy:group"
        },
        {
          "expr": "group by (cluster, job, instance, module) (\n  (kmod_module_blacklisted == 1 or kmod_module_disabled == 1)\n    and on (job, instance, module) kmod_module_required\n)\n",
          "labels": {
            "cause": "blacklisted or disabled",
            "runbook": "KmodModuleBlacklisted"
          },
          "record": "instance_module:kmod_module_unhealthy:group"
        },
        {
          "expr": "group by (cluster, job, instance, module) (\n  kmod_module_present_on_disk == 0\n    and on (job, instance, module) kmod_module_builtin == 0\n    and on (job, instance, module) kmod_module_required\n)\n",
          "labels": {
            "cause": "file missing",
            "runbook": "KmodModuleFileMissing"
          },
          "record": "instance_module:kmod_module_unhealthy:group"
        },
        {
          "expr": "group by (cluster, job, instance, module) (\n  kmod_module_release_match == 0\n    and on (job, instance, module) kmod_module_present_on_disk == 1\n    and on (job, instance, module) kmod_module_required\n)\n",
          "labels": {
            "cause": "release mismatch",
            "runbook": "KmodModuleReleaseMismatch"
          },
          "record": "instance_module:kmod_module_unhealthy:group"
        },
        {
          "expr": "group by (cluster, job, instance, module) (\n  kmod_module_dependencies_satisfied == 0\n    and on (job, instance, module) kmod_module_required\n)\n",
          "labels": {
            "cause": "dependencies",
            "runbook": "KmodModuleDependencyMissing"
          },
          "record": "instance_module:kmod_module_unhealthy:group"
        },
        {
          "expr": "group by (cluster, job, instance, module) (\n  kmod_module_present_for_release == 0\n    and on (job, instance, module) kmod_module_required\n)\n",
          "labels": {
            "cause": "missing in an installed release",
            "runbook": "KmodNextBootModuleMissing"
          },
          "record": "instance_module:kmod_module_unhealthy:group"
        },
        {
          "expr": "count by (cluster, cause) (\n  group by (cluster, instance, cause) (instance_module:kmod_module_unhealthy:group)\n)\n",
          "record": "cluster_cause:kmod_hosts_unhealthy:count"
        }
      ]
    }
  ]
}
