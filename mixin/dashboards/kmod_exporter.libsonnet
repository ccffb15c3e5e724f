// Generated from dashboards/kmod_exporter.json by `make mixin`; do not edit.
{
  "annotations": {
    "list": [
      {
        "datasource": {
          "type": "prometheus",
          "uid": "${datasource}"
        },
        "enable": true,
        "expr": "changes(kmod_module_loaded{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}[2m]) > 0",
        "iconColor": "orange",
        "name": "Module loaded / unloaded",
        "step": "60s",
        "textFormat": "on {{instance}}",
        "titleFormat": "{{module}} loaded or unloaded"
      }
    ]
  },
  "description": "Shows whether the kernel modules each host's firewall needs are loaded, and if not, which documented cause holds.",
  "editable": true,
  "graphTooltip": 1,
  "links": [
    {
      "targetBlank": true,
      "title": "Runbooks",
      "type": "link",
      "url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/"
    }
  ],
  "panels": [
    {
      "collapsed": false,
      "gridPos": {
        "h": 1,
        "w": 24,
        "x": 0,
        "y": 0
      },
      "id": 1,
      "panels": [],
      "title": "Fleet",
      "type": "row"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Counts the hosts with at least one required module that is not loaded, from the recording rule instance_module:kmod_module_unhealthy:group (cluster_cause:kmod_hosts_unhealthy:count has the same count per cluster). The runbook is https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleNotLoaded.md.",
      "fieldConfig": {
        "defaults": {
          "thresholds": {
            "mode": "absolute",
            "steps": [
              {
                "color": "green",
                "value": null
              },
              {
                "color": "red",
                "value": 1
              }
            ]
          },
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 4,
        "w": 4,
        "x": 0,
        "y": 1
      },
      "id": 2,
      "options": {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {
          "calcs": [
            "lastNotNull"
          ],
          "fields": "",
          "values": false
        }
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "count(group by (cluster, instance) (instance_module:kmod_module_unhealthy:group{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\",cause=\"not loaded\"})) or vector(0)",
          "instant": true,
          "legendFormat": "hosts",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Not loaded",
      "type": "stat"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Counts the hosts with at least one required module that is blacklisted or disabled, from the recording rule instance_module:kmod_module_unhealthy:group (cluster_cause:kmod_hosts_unhealthy:count has the same count per cluster). The runbook is https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleBlacklisted.md.",
      "fieldConfig": {
        "defaults": {
          "thresholds": {
            "mode": "absolute",
            "steps": [
              {
                "color": "green",
                "value": null
              },
              {
                "color": "red",
                "value": 1
              }
            ]
          },
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 4,
        "w": 4,
        "x": 4,
        "y": 1
      },
      "id": 3,
      "options": {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {
          "calcs": [
            "lastNotNull"
          ],
          "fields": "",
          "values": false
        }
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "count(group by (cluster, instance) (instance_module:kmod_module_unhealthy:group{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\",cause=\"blacklisted or disabled\"})) or vector(0)",
          "instant": true,
          "legendFormat": "hosts",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Blacklisted or disabled",
      "type": "stat"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Counts the hosts with at least one required module that has no file for the running kernel, from the recording rule instance_module:kmod_module_unhealthy:group (cluster_cause:kmod_hosts_unhealthy:count has the same count per cluster). The runbook is https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleFileMissing.md.",
      "fieldConfig": {
        "defaults": {
          "thresholds": {
            "mode": "absolute",
            "steps": [
              {
                "color": "green",
                "value": null
              },
              {
                "color": "red",
                "value": 1
              }
            ]
          },
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 4,
        "w": 4,
        "x": 8,
        "y": 1
      },
      "id": 4,
      "options": {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {
          "calcs": [
            "lastNotNull"
          ],
          "fields": "",
          "values": false
        }
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "count(group by (cluster, instance) (instance_module:kmod_module_unhealthy:group{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\",cause=\"file missing\"})) or vector(0)",
          "instant": true,
          "legendFormat": "hosts",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Missing on disk",
      "type": "stat"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Counts the hosts with at least one required module that has a file built for another kernel, from the recording rule instance_module:kmod_module_unhealthy:group (cluster_cause:kmod_hosts_unhealthy:count has the same count per cluster). The runbook is https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleReleaseMismatch.md.",
      "fieldConfig": {
        "defaults": {
          "thresholds": {
            "mode": "absolute",
            "steps": [
              {
                "color": "green",
                "value": null
              },
              {
                "color": "red",
                "value": 1
              }
            ]
          },
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 4,
        "w": 4,
        "x": 12,
        "y": 1
      },
      "id": 5,
      "options": {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {
          "calcs": [
            "lastNotNull"
          ],
          "fields": "",
          "values": false
        }
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "count(group by (cluster, instance) (instance_module:kmod_module_unhealthy:group{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\",cause=\"release mismatch\"})) or vector(0)",
          "instant": true,
          "legendFormat": "hosts",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Built for another kernel",
      "type": "stat"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Counts the hosts with at least one required module that has a dependency that cannot load, from the recording rule instance_module:kmod_module_unhealthy:group (cluster_cause:kmod_hosts_unhealthy:count has the same count per cluster). The runbook is https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleDependencyMissing.md.",
      "fieldConfig": {
        "defaults": {
          "thresholds": {
            "mode": "absolute",
            "steps": [
              {
                "color": "green",
                "value": null
              },
              {
                "color": "red",
                "value": 1
              }
            ]
          },
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 4,
        "w": 4,
        "x": 16,
        "y": 1
      },
      "id": 6,
      "options": {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {
          "calcs": [
            "lastNotNull"
          ],
          "fields": "",
          "values": false
        }
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "count(group by (cluster, instance) (instance_module:kmod_module_unhealthy:group{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\",cause=\"dependencies\"})) or vector(0)",
          "instant": true,
          "legendFormat": "hosts",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Dependencies unsatisfied",
      "type": "stat"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Counts the hosts with at least one required module that is missing from another installed kernel (the next boot may run it), from the recording rule instance_module:kmod_module_unhealthy:group (cluster_cause:kmod_hosts_unhealthy:count has the same count per cluster). The runbook is https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodNextBootModuleMissing.md.",
      "fieldConfig": {
        "defaults": {
          "thresholds": {
            "mode": "absolute",
            "steps": [
              {
                "color": "green",
                "value": null
              },
              {
                "color": "red",
                "value": 1
              }
            ]
          },
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 4,
        "w": 4,
        "x": 20,
        "y": 1
      },
      "id": 7,
      "options": {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {
          "calcs": [
            "lastNotNull"
          ],
          "fields": "",
          "values": false
        }
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "count(group by (cluster, instance) (instance_module:kmod_module_unhealthy:group{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\",cause=\"missing in an installed release\"})) or vector(0)",
          "instant": true,
          "legendFormat": "hosts",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Next-boot risk",
      "type": "stat"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Lists every required module with a documented cause, one row per host, module and cause, from the recording rule instance_module:kmod_module_unhealthy:group. The cause links to its runbook.",
      "fieldConfig": {
        "defaults": {
          "unit": "none"
        },
        "overrides": [
          {
            "matcher": {
              "id": "byName",
              "options": "cause"
            },
            "properties": [
              {
                "id": "links",
                "value": [
                  {
                    "targetBlank": true,
                    "title": "Runbook",
                    "url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/${__data.fields.runbook}.md"
                  }
                ]
              }
            ]
          }
        ]
      },
      "gridPos": {
        "h": 8,
        "w": 24,
        "x": 0,
        "y": 5
      },
      "id": 8,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module, cause, runbook) (instance_module:kmod_module_unhealthy:group{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Unhealthy required modules",
      "transformations": [
        {
          "id": "organize",
          "options": {
            "excludeByName": {
              "Time": true,
              "Value": true
            },
            "indexByName": {
              "cause": 2,
              "instance": 0,
              "module": 1,
              "runbook": 3
            }
          }
        }
      ],
      "type": "table"
    },
    {
      "collapsed": false,
      "gridPos": {
        "h": 1,
        "w": 24,
        "x": 0,
        "y": 13
      },
      "id": 9,
      "panels": [],
      "title": "Host",
      "type": "row"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Checks each required module, one column per check: green passes, red is a cause to fix, and built-in modules show as built in.",
      "fieldConfig": {
        "defaults": {
          "unit": "none"
        },
        "overrides": [
          {
            "matcher": {
              "id": "byName",
              "options": "Loaded"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "red",
                        "index": 1,
                        "text": "no"
                      },
                      "1": {
                        "color": "green",
                        "index": 0,
                        "text": "yes"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          },
          {
            "matcher": {
              "id": "byName",
              "options": "Built in"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "text",
                        "index": 1,
                        "text": "module"
                      },
                      "1": {
                        "color": "blue",
                        "index": 0,
                        "text": "built in"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          },
          {
            "matcher": {
              "id": "byName",
              "options": "Blacklisted"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "green",
                        "index": 0,
                        "text": "yes"
                      },
                      "1": {
                        "color": "red",
                        "index": 1,
                        "text": "no"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          },
          {
            "matcher": {
              "id": "byName",
              "options": "Disabled"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "green",
                        "index": 0,
                        "text": "yes"
                      },
                      "1": {
                        "color": "red",
                        "index": 1,
                        "text": "no"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          },
          {
            "matcher": {
              "id": "byName",
              "options": "On disk"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "red",
                        "index": 1,
                        "text": "no"
                      },
                      "1": {
                        "color": "green",
                        "index": 0,
                        "text": "yes"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          },
          {
            "matcher": {
              "id": "byName",
              "options": "Release match"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "red",
                        "index": 1,
                        "text": "no"
                      },
                      "1": {
                        "color": "green",
                        "index": 0,
                        "text": "yes"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          },
          {
            "matcher": {
              "id": "byName",
              "options": "Dependencies"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "red",
                        "index": 1,
                        "text": "no"
                      },
                      "1": {
                        "color": "green",
                        "index": 0,
                        "text": "yes"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          },
          {
            "matcher": {
              "id": "byName",
              "options": "Load on boot"
            },
            "properties": [
              {
                "id": "mappings",
                "value": [
                  {
                    "options": {
                      "0": {
                        "color": "red",
                        "index": 1,
                        "text": "no"
                      },
                      "1": {
                        "color": "green",
                        "index": 0,
                        "text": "yes"
                      }
                    },
                    "type": "value"
                  }
                ]
              },
              {
                "id": "custom.cellOptions",
                "value": {
                  "type": "color-background"
                }
              }
            ]
          }
        ]
      },
      "gridPos": {
        "h": 8,
        "w": 24,
        "x": 0,
        "y": 14
      },
      "id": 10,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_loaded{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "A"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_builtin{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "B"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_blacklisted{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "C"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_disabled{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "D"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_present_on_disk{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "E"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_release_match{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "F"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_dependencies_satisfied{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "G"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_load_on_boot{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "H"
        }
      ],
      "title": "Required modules",
      "transformations": [
        {
          "id": "merge",
          "options": {}
        },
        {
          "id": "organize",
          "options": {
            "excludeByName": {
              "Time": true
            },
            "renameByName": {
              "Value #A": "Loaded",
              "Value #B": "Built in",
              "Value #C": "Blacklisted",
              "Value #D": "Disabled",
              "Value #E": "On disk",
              "Value #F": "Release match",
              "Value #G": "Dependencies",
              "Value #H": "Load on boot"
            }
          }
        }
      ],
      "type": "table"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Shows whether each required module was loaded over time: Live in /proc/modules, or built into the kernel.",
      "fieldConfig": {
        "defaults": {
          "mappings": [
            {
              "options": {
                "0": {
                  "color": "red",
                  "index": 1,
                  "text": "not loaded"
                },
                "1": {
                  "color": "green",
                  "index": 0,
                  "text": "loaded"
                }
              },
              "type": "value"
            }
          ],
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 6,
        "w": 24,
        "x": 0,
        "y": 22
      },
      "id": 11,
      "options": {
        "mergeValues": true,
        "rowHeight": 0.9,
        "showValue": "never"
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module) ((kmod_module_loaded{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"}) and on (cluster, job, instance, module) kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "legendFormat": "{{instance}} {{module}}",
          "refId": "A"
        }
      ],
      "title": "Module loaded",
      "type": "state-timeline"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Shows the share of time some or all tasks stalled waiting for memory, averaged over 10 s. Sustained full pressure can stop modules from loading.",
      "fieldConfig": {
        "defaults": {
          "unit": "percentunit"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 7,
        "w": 8,
        "x": 0,
        "y": 28
      },
      "id": 12,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "kmod_memory_pressure_ratio{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",window=\"10s\"}",
          "legendFormat": "{{instance}} {{kind}}",
          "refId": "A"
        }
      ],
      "title": "Memory pressure (PSI)",
      "type": "timeseries"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Shows MemAvailable / MemTotal, the share of memory the kernel can hand out without swapping.",
      "fieldConfig": {
        "defaults": {
          "unit": "percentunit"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 7,
        "w": 8,
        "x": 8,
        "y": 28
      },
      "id": 13,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "kmod_memory_available_ratio{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}",
          "legendFormat": "{{instance}}",
          "refId": "A"
        }
      ],
      "title": "Memory available",
      "type": "timeseries"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Shows the connections tracked as a share of nf_conntrack_max. At 100% the kernel drops new connections.",
      "fieldConfig": {
        "defaults": {
          "unit": "percentunit"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 7,
        "w": 8,
        "x": 16,
        "y": 28
      },
      "id": 14,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "kmod_conntrack_entries{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"} / kmod_conntrack_entries_limit{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}",
          "legendFormat": "{{instance}}",
          "refId": "A"
        }
      ],
      "title": "Conntrack table use",
      "type": "timeseries"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Shows the packets dropped per second because the conntrack table was full, and the connections evicted early to make room.",
      "fieldConfig": {
        "defaults": {
          "unit": "pps"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 7,
        "w": 12,
        "x": 0,
        "y": 35
      },
      "id": 15,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "rate(kmod_conntrack_stat_drop_total{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
          "legendFormat": "{{instance}} drop",
          "refId": "A"
        },
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "rate(kmod_conntrack_stat_early_drop_total{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}[$__rate_interval])",
          "legendFormat": "{{instance}} early drop",
          "refId": "B"
        }
      ],
      "title": "Conntrack drops",
      "type": "timeseries"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Lists the running release and every release with a module tree under /lib/modules; running is 1 for the running kernel's tree.",
      "fieldConfig": {
        "defaults": {
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 7,
        "w": 12,
        "x": 12,
        "y": 35
      },
      "id": 16,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, release, running) (kmod_kernel_module_tree_info{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Kernel and module trees",
      "type": "table"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Lists each required module and what requires it: the config, a flag, the default, modules-load.d, the kernel command line, or a ruleset's path.",
      "fieldConfig": {
        "defaults": {
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 8,
        "w": 24,
        "x": 0,
        "y": 42
      },
      "id": 17,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "max by (instance, module, source) (kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\",module=~\"$module\"})",
          "format": "table",
          "instant": true,
          "legendFormat": "__auto",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Why each module is required",
      "type": "table"
    },
    {
      "collapsed": false,
      "gridPos": {
        "h": 1,
        "w": 24,
        "x": 0,
        "y": 50
      },
      "id": 18,
      "panels": [],
      "title": "Exporter",
      "type": "row"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Shows 1 when the collector read everything it needs and 0 when it failed; the exporter's log names the file it could not read.",
      "fieldConfig": {
        "defaults": {
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 6,
        "w": 8,
        "x": 0,
        "y": 51
      },
      "id": 19,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "kmod_scrape_collector_success{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}",
          "legendFormat": "{{instance}} {{collector}}",
          "refId": "A"
        }
      ],
      "title": "Collector success",
      "type": "timeseries"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Shows how long each collector took per scrape.",
      "fieldConfig": {
        "defaults": {
          "unit": "s"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 6,
        "w": 8,
        "x": 8,
        "y": 51
      },
      "id": 20,
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "kmod_scrape_collector_duration_seconds{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}",
          "legendFormat": "{{instance}} {{collector}}",
          "refId": "A"
        }
      ],
      "title": "Collector duration",
      "type": "timeseries"
    },
    {
      "datasource": {
        "type": "prometheus",
        "uid": "${datasource}"
      },
      "description": "Counts the exporter's targets that Prometheus can scrape (the sum of up).",
      "fieldConfig": {
        "defaults": {
          "thresholds": {
            "mode": "absolute",
            "steps": [
              {
                "color": "red",
                "value": null
              },
              {
                "color": "green",
                "value": 1
              }
            ]
          },
          "unit": "none"
        },
        "overrides": []
      },
      "gridPos": {
        "h": 6,
        "w": 8,
        "x": 16,
        "y": 51
      },
      "id": 21,
      "options": {
        "colorMode": "background",
        "graphMode": "none",
        "reduceOptions": {
          "calcs": [
            "lastNotNull"
          ],
          "fields": "",
          "values": false
        }
      },
      "targets": [
        {
          "datasource": {
            "type": "prometheus",
            "uid": "${datasource}"
          },
          "expr": "sum(up{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"})",
          "instant": true,
          "legendFormat": "up",
          "range": false,
          "refId": "A"
        }
      ],
      "title": "Targets up",
      "type": "stat"
    }
  ],
  "refresh": "30s",
  "schemaVersion": 39,
  "tags": [
    "kmod_exporter",
    "firewall",
    "kernel"
  ],
  "templating": {
    "list": [
      {
        "current": {},
        "label": "Data source",
        "name": "datasource",
        "query": "prometheus",
        "type": "datasource"
      },
      {
        "allValue": ".*",
        "current": {
          "selected": true,
          "text": [
            "All"
          ],
          "value": [
            "$__all"
          ]
        },
        "datasource": {
          "type": "prometheus",
          "uid": "${datasource}"
        },
        "definition": "label_values(kmod_kernel_info, cluster)",
        "includeAll": true,
        "label": "Cluster",
        "multi": true,
        "name": "cluster",
        "query": {
          "query": "label_values(kmod_kernel_info, cluster)",
          "refId": "PrometheusVariableQueryEditor-VariableQuery"
        },
        "refresh": 2,
        "sort": 1,
        "type": "query"
      },
      {
        "allValue": ".+",
        "current": {
          "selected": true,
          "text": [
            "All"
          ],
          "value": [
            "$__all"
          ]
        },
        "datasource": {
          "type": "prometheus",
          "uid": "${datasource}"
        },
        "definition": "label_values(kmod_exporter_build_info{cluster=~\"$cluster\"}, job)",
        "includeAll": true,
        "label": "Job",
        "multi": true,
        "name": "job",
        "query": {
          "query": "label_values(kmod_exporter_build_info{cluster=~\"$cluster\"}, job)",
          "refId": "PrometheusVariableQueryEditor-VariableQuery"
        },
        "refresh": 2,
        "sort": 1,
        "type": "query"
      },
      {
        "allValue": ".+",
        "current": {
          "selected": true,
          "text": [
            "All"
          ],
          "value": [
            "$__all"
          ]
        },
        "datasource": {
          "type": "prometheus",
          "uid": "${datasource}"
        },
        "definition": "label_values(kmod_exporter_build_info{cluster=~\"$cluster\",job=~\"$job\"}, instance)",
        "includeAll": true,
        "label": "Instance",
        "multi": true,
        "name": "instance",
        "query": {
          "query": "label_values(kmod_exporter_build_info{cluster=~\"$cluster\",job=~\"$job\"}, instance)",
          "refId": "PrometheusVariableQueryEditor-VariableQuery"
        },
        "refresh": 2,
        "sort": 1,
        "type": "query"
      },
      {
        "allValue": ".*",
        "current": {
          "selected": true,
          "text": [
            "All"
          ],
          "value": [
            "$__all"
          ]
        },
        "datasource": {
          "type": "prometheus",
          "uid": "${datasource}"
        },
        "definition": "label_values(kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}, module)",
        "includeAll": true,
        "label": "Module",
        "multi": true,
        "name": "module",
        "query": {
          "query": "label_values(kmod_module_required{cluster=~\"$cluster\",job=~\"$job\",instance=~\"$instance\"}, module)",
          "refId": "PrometheusVariableQueryEditor-VariableQuery"
        },
        "refresh": 2,
        "sort": 1,
        "type": "query"
      }
    ]
  },
  "time": {
    "from": "now-6h",
    "to": "now"
  },
  "title": "Kernel modules and firewall (kmod_exporter)",
  "uid": "kmod-exporter",
  "version": 1
}
