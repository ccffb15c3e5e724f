// Generated from alerts/kmod_exporter.rules.yml by `make mixin`; do not edit.
{
  "groups": [
    {
      "name": "kmod_exporter.modules",
      "rules": [
        {
          "alert": "KmodModuleNotLoaded",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded: it is not in /proc/modules and not built into the kernel. Rules that use it cannot be loaded or evaluated. This is the generic symptom; a more specific alert (blacklisted, file missing, ...) replaces it when one applies.",
            "fix": "On {{ $labels.instance }}: check with `lsmod | grep {{ $labels.module }}`, load it with `sudo modprobe {{ $labels.module }}`, and keep it across reboots with `echo {{ $labels.module }} | sudo tee -a /etc/modules-load.d/iptables.conf`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleNotLoaded.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot is not loaded; no firewall rule needs it.{{ else }}A kernel module the firewall needs is not loaded.{{ end }}"
          },
          "expr": "(\n  (\n    kmod_module_loaded == 0\n      and on (job, instance, module) kmod_module_required\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance, module) ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport|KmodRequirementUnknown\"}\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n  unless on (job, instance, module) (\n    kmod_module_dependency_usable\n    and on (job, instance, dependency)\n      label_replace(ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport\"}, \"dependency\", \"$1\", \"module\", \"(.*)\")\n  )\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleNotLoaded\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodModuleBlacklisted",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and {{ if eq $labels.directive \"cmdline\" }}modprobe.blacklist= on the kernel command line{{ else }}{{ $labels.path }} line {{ $labels.line }}{{ end }} blacklists it, so the kernel and iptables cannot load it on demand by its alias.",
            "fix": "{{ if eq $labels.directive \"cmdline\" }}Remove {{ $labels.module }} from modprobe.blacklist= in GRUB_CMDLINE_LINUX (/etc/default/grub), run `sudo update-grub` (RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`) and reboot; until then `sudo modprobe {{ $labels.module }}` loads it by name.{{ else }}On {{ $labels.instance }}, comment out line {{ $labels.line }} of {{ $labels.path }} (`blacklist {{ $labels.module }}` becomes `#blacklist {{ $labels.module }}`; find every such line with `grep -rn {{ $labels.module }} /etc/modprobe.d/`), then `sudo modprobe {{ $labels.module }}`.{{ end }}",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleBlacklisted.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot is blacklisted and not loaded; no firewall rule needs it.{{ else }}A required kernel module is blacklisted and not loaded.{{ end }}"
          },
          "expr": "(\n  (\n    (\n      kmod_module_blacklisted == 1\n        and on (job, instance, module) kmod_module_loaded == 0\n        and on (job, instance, module) kmod_module_required\n        unless on (job, instance, module) kmod_module_loaded_as_dependency\n    )\n    * on (job, instance, module) group_right ()\n      kmod_module_blacklist_info{directive=~\"blacklist|cmdline\"}\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleBlacklisted\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodModuleDisabled",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but {{ if eq $labels.directive \"install\" }}an install override at {{ $labels.path }} line {{ $labels.line }} runs a command that loads nothing instead of the module{{ else }}module_blacklist= on the kernel command line makes the kernel refuse it{{ end }}, so not even `modprobe {{ $labels.module }}` loads it.",
            "fix": "{{ if eq $labels.directive \"install\" }}On {{ $labels.instance }}, comment out line {{ $labels.line }} of {{ $labels.path }} (`install {{ $labels.module }} /bin/true` or similar), then `sudo modprobe {{ $labels.module }}`.{{ else }}Remove {{ $labels.module }} from module_blacklist= in GRUB_CMDLINE_LINUX (/etc/default/grub), run `sudo update-grub` (RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`) and reboot: the kernel enforces it until the next boot.{{ end }}",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleDisabled.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot is disabled and cannot be loaded; no firewall rule needs it.{{ else }}A required kernel module is disabled and cannot be loaded at all.{{ end }}"
          },
          "expr": "(\n  (\n    (\n      kmod_module_disabled == 1\n        and on (job, instance, module) kmod_module_loaded == 0\n        and on (job, instance, module) kmod_module_required\n    )\n    * on (job, instance, module) group_right ()\n      kmod_module_blacklist_info{directive=~\"install|cmdline\"}\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleDisabled\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodModuleFileMissing",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but no {{ $labels.module }}.ko* exists under /lib/modules/{{ $labels.release }} (an incomplete kernel update, or the package that ships it is not installed). {{- with printf \"kmod_module_present_for_release{instance=%q,module=%q} == 1\" $labels.instance $labels.module | query }} Installed release(s) that have it:{{ range . }} {{ .Labels.release }}{{ end }}.{{ end }}",
            "fix": "{{ if eq $labels.tree \"out_of_tree\" }}{{ $labels.module }} is an out-of-tree module (updates/, extra/ or dkms/: DKMS or a vendor's package), which reinstalling the kernel does not bring back: build it for this kernel with `sudo dkms autoinstall -k {{ $labels.release }}` (`dkms status` lists what DKMS has), or install the vendor's package for {{ $labels.release }}.{{ else }}Reinstall the running kernel's modules, then load it. Debian: `sudo apt-get update && sudo apt-get install --reinstall linux-image-{{ $labels.release }}`; Ubuntu (many netfilter modules ship in linux-modules-extra): `sudo apt update && sudo apt install linux-modules-extra-{{ $labels.release }}`; RHEL/CentOS/Fedora: `sudo yum reinstall kernel-{{ $labels.release }}` and `sudo yum install kernel-modules-{{ $labels.release }}`.{{ if ne $labels.tree \"in_tree\" }} An out-of-tree module (ZFS, NVIDIA, VirtualBox: DKMS; another release has it under updates/, extra/ or dkms/) is built for this kernel with `sudo dkms autoinstall -k {{ $labels.release }}` (or the vendor's package for it), not by reinstalling the kernel.{{ end }}{{ end }} Check with `find /lib/modules/{{ $labels.release }} -name '{{ $labels.module }}.ko*'`, then `sudo modprobe {{ $labels.module }}`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleFileMissing.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot has no file for the running kernel; no firewall rule needs it.{{ else }}A required kernel module's file is missing for the running kernel.{{ end }}"
          },
          "expr": "(\n  (\n    (\n      kmod_module_present_on_disk == 0\n        and on (job, instance, module) kmod_module_builtin == 0\n        and on (job, instance, module) kmod_module_loaded == 0\n        and on (job, instance, module) kmod_module_required\n        unless on (job, instance, module) kmod_module_kernel_config{value=\"n\"}\n        unless on (job, instance, module) kmod_requirement_unknown\n        and on (job, instance) kmod_kernel_modules_dir_present == 1\n    )\n    * on (job, instance) group_left (release) kmod_kernel_info\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleFileMissing\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodNoModulesForRunningKernel",
          "annotations": {
            "description": "{{ $labels.instance }} runs kernel {{ $labels.release }} but /lib/modules/{{ $labels.release }} does not exist (a hand-built kernel, or an update that did not finish). {{- with printf \"kmod_kernel_module_tree_info{instance=%q}\" $labels.instance | query }} Installed module trees:{{ range . }} {{ .Labels.release }}{{ end }}.{{ end }}",
            "fix": "Compare `uname -r` with `ls /lib/modules/`. Reboot and pick a kernel whose modules are installed from the GRUB menu, or reinstall this one: `sudo apt-get install --reinstall linux-image-{{ $labels.release }}` (RHEL: `sudo yum reinstall kernel-{{ $labels.release }}`).",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodNoModulesForRunningKernel.md",
            "summary": "The running kernel has no module directory, so no module can be loaded."
          },
          "expr": "(\n  kmod_kernel_modules_dir_present == 0\n    and on (job, instance) kmod_kernel_module_support == 1\n)\n* on (job, instance) group_left (release) kmod_kernel_info\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodNoModulesForRunningKernel\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "critical"
          }
        },
        {
          "alert": "KmodRequirementUnknown",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} by {{ $labels.source }}{{ with $labels.path }} ({{ . }} {{- with $labels.line }}{{ if ne . \"0\" }} line {{ . }}{{ end }}{{ end }}){{ end }}, but no installed module tree, alias, built-in list or netfilter kernel option knows the name: a typo, or an extension no kernel provides. Nothing can load it, so it is not reported as a missing file.",
            "fix": "Correct the name where it is asked for: the module or alias as `modinfo` knows it (`modinfo -n <name>` prints its file), or remove the request if the rule does not need it. If the module comes from a package that is not installed (an out-of-tree module), install that package for the running kernel.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodRequirementUnknown.md",
            "summary": "A firewall rule or configuration asks for a module that no installed kernel has."
          },
          "expr": "kmod_requirement_unknown == 1\nunless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n",
          "for": "10m",
          "labels": {
            "severity": "warning"
          }
        },
        {
          "alert": "KmodModuleReleaseMismatch",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but its file {{ $labels.path }} was built for kernel {{ if $labels.file_release }}{{ $labels.file_release }}{{ else }}(unreadable vermagic){{ end }}, while {{ $labels.release }} is running; the kernel refuses it.",
            "fix": "Check with `modinfo -F vermagic {{ $labels.module }}` and `uname -r`. {{ if eq $labels.tree \"out_of_tree\" }}It is an out-of-tree module (updates/, extra/ or dkms/): rebuild it for this kernel with `sudo dkms autoinstall -k {{ $labels.release }}`, or install the vendor's package for {{ $labels.release }}.{{ else }}Reinstall the running kernel's package so its modules match: `sudo apt-get install --reinstall linux-image-{{ $labels.release }}` (RHEL: `sudo yum reinstall kernel-{{ $labels.release }}`){{ if ne $labels.tree \"in_tree\" }}; for a DKMS module, `sudo dkms autoinstall -k {{ $labels.release }}`{{ end }}.{{ end }} Then `sudo modprobe {{ $labels.module }}`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleReleaseMismatch.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot was built for another kernel; no firewall rule needs it.{{ else }}A required kernel module's file was built for another kernel.{{ end }}"
          },
          "expr": "(\n  (\n    (\n      kmod_module_release_match == 0\n        and on (job, instance, module) kmod_module_present_on_disk == 1\n        and on (job, instance, module) kmod_module_loaded == 0\n        and on (job, instance, module) kmod_module_required\n    )\n    * on (job, instance, module) group_left (path, file_release)\n      label_replace(kmod_module_file_info, \"file_release\", \"$1\", \"release\", \"(.*)\")\n    * on (job, instance) group_left (release) kmod_kernel_info\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleReleaseMismatch\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodModuleFileUnreadable",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and its file {{ $labels.path }} cannot be read ({{ $labels.reason }}): {{ if eq $labels.reason \"truncated\" }}it ends early, as after a full disk or an interrupted install{{ else if eq $labels.reason \"too_large\" }}it decompresses to more than any real module holds{{ else if eq $labels.reason \"unreadable\" }}it cannot be opened or read{{ else }}it is not a valid (compressed) kernel module{{ end }}. modprobe fails on it the same way.",
            "fix": "Find the package that owns the file with `dpkg -S {{ $labels.path }}` (RHEL: `rpm -qf {{ $labels.path }}`) and reinstall it: `sudo apt-get install --reinstall PACKAGE` (RHEL: `sudo yum reinstall PACKAGE`); for a DKMS module, `sudo dkms install --force` the module for this kernel. Then `sudo depmod -a && sudo modprobe {{ $labels.module }}`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleFileUnreadable.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot has a truncated, corrupt or oversized file; no firewall rule needs it.{{ else }}A required kernel module's file is truncated, corrupt or too large to read.{{ end }}"
          },
          "expr": "(\n  (\n    kmod_module_file_error == 1\n      and on (job, instance, module) kmod_module_loaded == 0\n      and on (job, instance, module) kmod_module_required\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleFileUnreadable\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodModuleDependencyMissing",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and its dependency {{ $labels.dependency }} is not loaded and cannot be (its file is missing, built for another kernel, or disabled).",
            "fix": "List the dependencies with `modinfo {{ $labels.module }} | grep depends`. Load the dependency first, then the module: `sudo modprobe {{ $labels.dependency }} && sudo modprobe {{ $labels.module }}`. If modprobe says \"Module {{ $labels.dependency }} not found\", reinstall the running kernel's package (see KmodModuleFileMissing).",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleDependencyMissing.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot cannot load because a module it depends on is missing or blocked; no firewall rule needs it.{{ else }}A required kernel module cannot load because a module it depends on is missing or blocked.{{ end }}"
          },
          "expr": "(\n  (\n    kmod_module_dependency_usable == 0\n      and on (job, instance, module) kmod_module_dependencies_satisfied == 0\n      and on (job, instance, module) kmod_module_loaded == 0\n      and on (job, instance, module) kmod_module_required\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n  unless on (job, instance, module) (\n    kmod_module_dependency_usable\n    and on (job, instance, dependency)\n      label_replace(ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport\"}, \"dependency\", \"$1\", \"module\", \"(.*)\")\n  )\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleDependencyMissing\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodModuleNotLoadedMemoryPressure",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and the host is starved of memory (all tasks stalled on memory over 10% of the last minute, or under 5% of memory available): the kernel may fail to allocate what loading the module needs.",
            "fix": "Look at memory with `free -h` and `top` (high use, heavy swapping). Stop non-essential processes or add RAM, then `sudo modprobe {{ $labels.module }}`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleNotLoadedMemoryPressure.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A kernel module the host loads at boot is not loaded while the host is under severe memory pressure; no firewall rule needs it.{{ else }}A required kernel module is not loaded while the host is under severe memory pressure.{{ end }}"
          },
          "expr": "(\n  (\n    kmod_module_loaded == 0\n      and on (job, instance, module) kmod_module_required\n      and on (job, instance) (\n        kmod_memory_pressure_ratio{kind=\"full\", window=\"60s\"} > 0.1\n        or kmod_memory_available_ratio < 0.05\n      )\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n  unless on (job, instance, module) (\n    kmod_module_dependency_usable\n    and on (job, instance, dependency)\n      label_replace(ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport\"}, \"dependency\", \"$1\", \"module\", \"(.*)\")\n  )\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodModuleNotLoadedMemoryPressure\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodKernelBuiltWithoutModule",
          "annotations": {
            "description": "{{ $labels.module }} is required on {{ $labels.instance }}, but the running kernel's configuration has {{ $labels.symbol }} not set: it is neither built in nor available as a module, and cannot be loaded.",
            "fix": "Confirm with `grep {{ $labels.symbol }} /boot/config-$(uname -r)`. Boot a distribution kernel that has it, or reconfigure the custom kernel with {{ $labels.symbol }}=m (module) or =y (built in), rebuild and install it.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodKernelBuiltWithoutModule.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}The running kernel was built without the option of a module the host loads at boot; no firewall rule needs it.{{ else }}The running kernel was built without a Netfilter option a required module needs.{{ end }}"
          },
          "expr": "(\n  (\n    kmod_module_kernel_config{value=\"n\"}\n      and on (job, instance, module) kmod_module_builtin == 0\n      and on (job, instance, module) kmod_module_present_on_disk == 0\n      and on (job, instance, module) kmod_module_required\n  )\n  * on (job, instance, module) group_left (required_for, tree) (\n    (\n      label_replace(\n        max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n        or on (job, instance, module)\n        max by (job, instance, module) (label_replace(\n          max by (job, instance, dependency) (\n            kmod_module_dependency_usable\n            and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n          ),\n          \"module\", \"$1\", \"dependency\", \"(.*)\"\n        )),\n        \"required_for\", \"firewall\", \"\", \"\"\n      )\n      or on (job, instance, module)\n      label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n    )\n    * on (job, instance, module) group_left (tree) (\n      kmod_module_tree_info\n      or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n    )\n  )\n  unless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodKernelBuiltWithoutModule\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodKernelWithoutModuleSupport",
          "annotations": {
            "description": "{{ $labels.instance }} runs a kernel built without loadable module support (no /proc/modules), and the required {{ $labels.module }} is not built into it: nothing on this host can make it available.",
            "fix": "Boot a kernel with module support (CONFIG_MODULES=y) that has {{ $labels.module }}, or rebuild this kernel with {{ $labels.module }} built in.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodKernelWithoutModuleSupport.md",
            "summary": "{{ if eq $labels.required_for \"boot\" }}A module the host loads at boot is missing from a kernel that cannot load modules; no firewall rule needs it.{{ else }}A required module is missing from a kernel that cannot load modules.{{ end }}"
          },
          "expr": "(\n  kmod_module_loaded == 0\n    and on (job, instance, module) kmod_module_required\n    and on (job, instance) kmod_kernel_module_support == 0\n)\n* on (job, instance, module) group_left (required_for, tree) (\n  (\n    label_replace(\n      max by (job, instance, module) (kmod_module_required{source!~\"modules-load.d|cmdline\"})\n      or on (job, instance, module)\n      max by (job, instance, module) (label_replace(\n        max by (job, instance, dependency) (\n          kmod_module_dependency_usable\n          and on (job, instance, module) kmod_module_required{source!~\"modules-load.d|cmdline\"}\n        ),\n        \"module\", \"$1\", \"dependency\", \"(.*)\"\n      )),\n      \"required_for\", \"firewall\", \"\", \"\"\n    )\n    or on (job, instance, module)\n    label_replace(max by (job, instance, module) (kmod_module_required), \"required_for\", \"boot\", \"\", \"\")\n  )\n  * on (job, instance, module) group_left (tree) (\n    kmod_module_tree_info\n    or on (job, instance, module) max by (job, instance, module) (kmod_module_required)\n  )\n)\nor ignoring (alertname, severity) (\n  label_replace(ALERTS{alertname=\"KmodKernelWithoutModuleSupport\", alertstate=\"firing\"}, \"alertstate\", \"\", \"\", \"\")\n  unless on (job, instance) min by (job, instance) (kmod_scrape_collector_success) == 1\n  and on (job, instance) max by (job, instance) (max_over_time(kmod_scrape_collector_success{collector=\"modules\"}[15m])) == 1\n)\n",
          "for": "2m",
          "labels": {
            "severity": "{{ if eq $labels.required_for \"boot\" }}warning{{ else }}critical{{ end }}"
          }
        },
        {
          "alert": "KmodDepmodIndexStale",
          "annotations": {
            "description": "{{ $labels.module }}'s file on {{ $labels.instance }} is not listed in modules.dep, or is newer than it, so modprobe may not find it: if it is loaded now, its next load (at the next reboot or rule reload) may fail.",
            "fix": "Rebuild the module index for the running kernel: `sudo depmod -a`; if it is not loaded, then `sudo modprobe {{ $labels.module }}`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodDepmodIndexStale.md",
            "summary": "A required module was installed but depmod was not run, so modprobe may not find it."
          },
          "expr": "kmod_module_depmod_stale == 1\n  and on (job, instance, module) kmod_module_required\nunless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n",
          "for": "10m",
          "labels": {
            "severity": "warning"
          }
        },
        {
          "alert": "KmodModuleNextLoadFails",
          "annotations": {
            "description": "{{ $labels.module }} is loaded on {{ $labels.instance }}, so the firewall works now, but the kernel could not load it again: the firewall fails to start at the next reboot or rule reload because {{ if eq $labels.reason \"blacklisted\" }}{{ if eq $labels.directive \"cmdline\" }}modprobe.blacklist= on the kernel command line{{ else }}{{ $labels.path }} line {{ $labels.line }}{{ end }} blacklists it, which stops its load by alias (iptables, the kernel) and by systemd-modules-load {{- else if eq $labels.reason \"disabled\" }}{{ if eq $labels.directive \"install\" }}an install override at {{ $labels.path }} line {{ $labels.line }} runs a command that loads nothing instead of it{{ else }}module_blacklist= on the kernel command line makes the kernel refuse it{{ end }} {{- else if eq $labels.reason \"file_missing\" }}its file is gone from /lib/modules/$(uname -r) (removed, or an incomplete kernel update) {{- else if eq $labels.reason \"release_mismatch\" }}its file {{ $labels.path }} was built for kernel {{ if $labels.file_release }}{{ $labels.file_release }}{{ else }}(unreadable vermagic){{ end }}, which the running kernel refuses {{- else if eq $labels.reason \"file_unreadable\" }}its file {{ $labels.path }} cannot be read ({{ $labels.error }}) {{- else }}{{ $labels.reason }}{{ end }}.",
            "fix": "Fix it before the next reboot; the loaded module keeps working until then, so do not unload it. {{ if eq $labels.reason \"blacklisted\" }}{{ if eq $labels.directive \"cmdline\" }}Remove {{ $labels.module }} from modprobe.blacklist= in GRUB_CMDLINE_LINUX (/etc/default/grub) and run `sudo update-grub` (RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`).{{ else }}On {{ $labels.instance }}, comment out line {{ $labels.line }} of {{ $labels.path }} (`blacklist {{ $labels.module }}` becomes `#blacklist {{ $labels.module }}`; find every such line with `grep -rn {{ $labels.module }} /etc/modprobe.d/`).{{ end }} {{- else if eq $labels.reason \"disabled\" }}{{ if eq $labels.directive \"install\" }}On {{ $labels.instance }}, comment out line {{ $labels.line }} of {{ $labels.path }} (`install {{ $labels.module }} /bin/true` or similar).{{ else }}Remove {{ $labels.module }} from module_blacklist= in GRUB_CMDLINE_LINUX (/etc/default/grub) and run `sudo update-grub` (RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`).{{ end }} {{- else if eq $labels.reason \"file_unreadable\" }}Find the package that owns the file with `dpkg -S {{ $labels.path }}` (RHEL: `rpm -qf {{ $labels.path }}`) and reinstall it: `sudo apt-get install --reinstall PACKAGE` (RHEL: `sudo yum reinstall PACKAGE`); for a DKMS module, `sudo dkms install --force` it for this kernel; then `sudo depmod -a`. {{- else }}Reinstall the running kernel's modules: Debian `sudo apt-get install --reinstall linux-image-$(uname -r)` (Ubuntu: also `linux-modules-extra-$(uname -r)`; RHEL: `sudo yum reinstall kernel-$(uname -r)`); for a DKMS module, `sudo dkms autoinstall -k $(uname -r)`.{{ end }} Then `modinfo -F vermagic {{ $labels.module }}` names the running kernel and `modprobe -c | grep -E '^(blacklist|install) {{ $labels.module }}( |$)'` prints nothing.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleNextLoadFails.md",
            "summary": "A required module is loaded now, but its next load would fail, so the firewall breaks at the next reboot or rule reload."
          },
          "expr": "(\n    label_replace(\n      (\n        kmod_module_blacklisted == 1\n          unless on (job, instance, module) kmod_module_loaded_as_dependency\n      )\n      * on (job, instance, module) group_right ()\n        kmod_module_blacklist_info{directive=~\"blacklist|cmdline\"},\n      \"reason\", \"blacklisted\", \"\", \"\"\n    )\n  or\n    label_replace(\n      (kmod_module_disabled == 1)\n      * on (job, instance, module) group_right ()\n        kmod_module_blacklist_info{directive=~\"install|cmdline\"},\n      \"reason\", \"disabled\", \"\", \"\"\n    )\n  or\n    label_replace(\n      kmod_module_present_on_disk == 0\n        and on (job, instance) kmod_kernel_modules_dir_present == 1,\n      \"reason\", \"file_missing\", \"\", \"\"\n    )\n  or\n    label_replace(\n      kmod_module_release_match == 0\n        and on (job, instance, module) kmod_module_present_on_disk == 1,\n      \"reason\", \"release_mismatch\", \"\", \"\"\n    )\n    * on (job, instance, module) group_left (path, file_release)\n      label_replace(kmod_module_file_info, \"file_release\", \"$1\", \"release\", \"(.*)\")\n  or\n    label_replace(\n      label_replace(kmod_module_file_error == 1, \"error\", \"$1\", \"reason\", \"(.*)\"),\n      \"reason\", \"file_unreadable\", \"\", \"\"\n    )\n)\nand on (job, instance, module) kmod_module_loaded == 1\nand on (job, instance, module) kmod_module_builtin == 0\nand on (job, instance, module) kmod_module_required\n",
          "for": "10m",
          "labels": {
            "severity": "warning"
          }
        },
        {
          "alert": "KmodModuleNotPersistent",
          "annotations": {
            "description": "{{ $labels.module }} is loaded on {{ $labels.instance }} but no modules-load.d file, /etc/modules or modules_load= lists it, so it may be missing after the next boot (as after a kernel upgrade).",
            "fix": "`echo {{ $labels.module }} | sudo tee -a /etc/modules-load.d/iptables.conf` (the file is created if it does not exist).",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodModuleNotPersistent.md",
            "summary": "A required module is loaded now but will not be loaded after a reboot."
          },
          "expr": "kmod_module_load_on_boot == 0\n  and on (job, instance, module) kmod_module_loaded == 1\n  and on (job, instance, module) kmod_module_builtin == 0\n  and on (job, instance, module) kmod_module_required{source=~\"config|flag|default\"}\n  unless on (job, instance, module) kmod_module_required{source!~\"config|flag|default\"}\nunless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n",
          "for": "30m",
          "labels": {
            "severity": "info"
          }
        },
        {
          "alert": "KmodNextBootModuleMissing",
          "annotations": {
            "description": "{{ $labels.instance }} has kernel {{ $labels.release }} installed (the next boot may run it), but its module tree has no {{ $labels.module }}, which the firewall requires.",
            "fix": "Before rebooting, complete that kernel's installation: `sudo apt-get install --reinstall linux-image-{{ $labels.release }}` (Ubuntu: also `linux-modules-extra-{{ $labels.release }}`; RHEL: `sudo yum reinstall kernel-{{ $labels.release }}`); for a DKMS module `sudo dkms autoinstall -k {{ $labels.release }}`. Check with `find /lib/modules/{{ $labels.release }} -name '{{ $labels.module }}.ko*'`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodNextBootModuleMissing.md",
            "summary": "An installed kernel lacks a required module; booting it would break the firewall."
          },
          "expr": "kmod_module_present_for_release == 0\n  and on (job, instance, module) kmod_module_required\n  unless on (job, instance, module) kmod_requirement_unknown\nunless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\n",
          "for": "10m",
          "labels": {
            "severity": "warning"
          }
        }
      ]
    },
    {
      "name": "kmod_exporter.firewall",
      "rules": [
        {
          "alert": "KmodXtablesMatchNotRegistered",
          "annotations": {
            "description": "A ruleset on {{ $labels.instance }} uses `-m {{ $labels.match }}` ({{ $labels.family }}), but the kernel has not registered it, so `iptables -m {{ $labels.match }} -h` fails with \"No chain/target/match by that name\" and the rules cannot be restored.",
            "fix": "`sudo modprobe {{ if $labels.module }}{{ $labels.module }}{{ else }}xt_{{ $labels.match }}{{ end }}`, then start the firewall again: `sudo systemctl restart netfilter-persistent` (RHEL: `sudo systemctl start iptables`). Persist it with `echo {{ if $labels.module }}{{ $labels.module }}{{ else }}xt_{{ $labels.match }}{{ end }} | sudo tee -a /etc/modules-load.d/iptables.conf`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodXtablesMatchNotRegistered.md",
            "summary": "A firewall rule uses an iptables match the kernel does not have."
          },
          "expr": "kmod_xtables_match_registered == 0\nunless on (job, instance, module) ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport|KmodRequirementUnknown\"}\nunless on (job, instance, module) ALERTS{alertname=\"KmodModuleNotLoaded\"}\nunless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\nunless on (job, instance, module) (\n  kmod_module_dependency_usable\n  and on (job, instance, dependency)\n    label_replace(ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport\"}, \"dependency\", \"$1\", \"module\", \"(.*)\")\n)\n",
          "for": "2m",
          "labels": {
            "severity": "critical"
          }
        },
        {
          "alert": "KmodXtablesTargetNotRegistered",
          "annotations": {
            "description": "A ruleset on {{ $labels.instance }} uses `-j {{ $labels.target }}` ({{ $labels.family }}), but the kernel has not registered that target, so the rules cannot be restored.",
            "fix": "`sudo modprobe {{ if $labels.module }}{{ $labels.module }}{{ else }}xt_{{ $labels.target }}{{ end }}`, then start the firewall again: `sudo systemctl restart netfilter-persistent` (RHEL: `sudo systemctl start iptables`).",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodXtablesTargetNotRegistered.md",
            "summary": "A firewall rule jumps to an iptables target the kernel does not have."
          },
          "expr": "kmod_xtables_target_registered == 0\nunless on (job, instance, module) ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport|KmodRequirementUnknown\"}\nunless on (job, instance, module) ALERTS{alertname=\"KmodModuleNotLoaded\"}\nunless on (job, instance) ALERTS{alertname=\"KmodNoModulesForRunningKernel\"}\nunless on (job, instance, module) (\n  kmod_module_dependency_usable\n  and on (job, instance, dependency)\n    label_replace(ALERTS{alertname=~\"KmodModuleBlacklisted|KmodModuleDisabled|KmodModuleFileMissing|KmodModuleFileUnreadable|KmodModuleReleaseMismatch|KmodModuleDependencyMissing|KmodModuleNotLoadedMemoryPressure|KmodKernelBuiltWithoutModule|KmodKernelWithoutModuleSupport\"}, \"dependency\", \"$1\", \"module\", \"(.*)\")\n)\n",
          "for": "2m",
          "labels": {
            "severity": "critical"
          }
        },
        {
          "alert": "KmodIptablesOutdated",
          "annotations": {
            "description": "{{ $labels.instance }} has iptables {{ $labels.version }} installed; releases before 1.8.7 may not recognise or request the modules of a current kernel correctly.",
            "fix": "`iptables --version`; update the package: Debian/Ubuntu `sudo apt update && sudo apt upgrade iptables`, RHEL/CentOS `sudo yum update iptables`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodIptablesOutdated.md",
            "summary": "The iptables package is older than 1.8.7 and may not handle current kernel modules."
          },
          "expr": "kmod_iptables_info{version=~\"(0|1\\\\.[0-7])\\\\..*|1\\\\.8\\\\.[0-6]([^0-9].*)?\"}",
          "for": "30m",
          "labels": {
            "severity": "info"
          }
        },
        {
          "alert": "KmodConntrackTableNearFull",
          "annotations": {
            "description": "{{ $labels.instance }}'s conntrack table is {{ $value | humanizePercentage }} full; when it is full the kernel drops packets of new connections (\"nf_conntrack: table full, dropping packet\").",
            "fix": "Raise the limit now: `sudo sysctl -w net.netfilter.nf_conntrack_max=$(( $(sysctl -n net.netfilter.nf_conntrack_max) * 2 ))`, persist it in /etc/sysctl.d/90-conntrack.conf, and find who opens so many connections with `sudo conntrack -S` and `sudo conntrack -L | awk '{print $5}' | sort | uniq -c | sort -rn | head`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodConntrackTableNearFull.md",
            "summary": "The connection tracking table is over 90% full; new connections will be dropped."
          },
          "expr": "kmod_conntrack_entries / kmod_conntrack_entries_limit > 0.9",
          "for": "5m",
          "labels": {
            "severity": "warning"
          }
        }
      ]
    },
    {
      "name": "kmod_exporter.exporter",
      "rules": [
        {
          "alert": "KmodExporterCannotSeeHost",
          "annotations": {
            "description": "kmod_exporter on {{ $labels.instance }} reads the host's {{ $labels.filesystem }} at {{ $labels.path }}, which {{ $labels.reason }}. This is the exporter's configuration, not a fault of the host: every collector that reads it reports failure, and no module alert can fire until it is fixed.",
            "fix": "Point --path.{{ $labels.filesystem }} at the host's {{ $labels.filesystem }} as mounted in the exporter's container or unit (the shipped DaemonSet mounts the host's / at /host and passes --path.rootfs=/host, --path.procfs=/host/proc and --path.sysfs=/host/sys), then restart it; `kmod_exporter check` with the same flags says what it sees.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodExporterCannotSeeHost.md",
            "summary": "kmod_exporter is pointed at something that is not the host, so the firewall's modules are not watched."
          },
          "expr": "kmod_exporter_host_readable == 0",
          "for": "5m",
          "labels": {
            "severity": "critical"
          }
        },
        {
          "alert": "KmodExporterModulesCollectorFailed",
          "annotations": {
            "description": "The modules collector of kmod_exporter on {{ $labels.instance }} fails at every scrape: there are no kmod_module_* series, so a firewall module that is missing or blocked would not page, and module alerts that were firing are kept for 15m only.",
            "fix": "Read the exporter's log: `journalctl -u kmod_exporter | grep 'collector failed'` names the file it could not read (/proc/modules, modules.dep, modules.alias, a modprobe.d file); fix its permissions or the mount (--path.procfs, --path.sysfs, --path.rootfs). Meanwhile run `sudo kmod_exporter check` on the host.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodExporterModulesCollectorFailed.md",
            "summary": "kmod_exporter cannot read the host's modules, so no module alert can fire."
          },
          "expr": "kmod_scrape_collector_success{collector=\"modules\"} == 0\nunless on (job, instance) ALERTS{alertname=\"KmodExporterCannotSeeHost\"}\n",
          "for": "5m",
          "labels": {
            "severity": "critical"
          }
        },
        {
          "alert": "KmodExporterCollectorFailed",
          "annotations": {
            "description": "The {{ $labels.collector }} collector of kmod_exporter on {{ $labels.instance }} fails at every scrape; its metrics are missing or incomplete.",
            "fix": "Read the exporter's log: `journalctl -u kmod_exporter | grep 'collector failed'` names the file it could not read; fix its permissions or the mount (--path.procfs, --path.sysfs, --path.rootfs), or disable the collector with `--no-collector.{{ $labels.collector }}`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodExporterCollectorFailed.md",
            "summary": "kmod_exporter cannot read part of the host, so some causes would go unseen."
          },
          "expr": "kmod_scrape_collector_success{collector!=\"modules\"} == 0\nunless on (job, instance) ALERTS{alertname=\"KmodExporterCannotSeeHost\"}\n",
          "for": "10m",
          "labels": {
            "severity": "warning"
          }
        },
        {
          "alert": "KmodExporterDown",
          "annotations": {
            "description": "Prometheus cannot scrape kmod_exporter at {{ $labels.instance }} (job {{ $labels.job }}).",
            "fix": "On the host: `systemctl status kmod_exporter` and `journalctl -u kmod_exporter -n 50`; check the port with `curl -s http://localhost:10473/metrics | head`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodExporterDown.md",
            "summary": "kmod_exporter cannot be scraped, so the firewall's modules are not watched."
          },
          "expr": "up{job=~\".*kmod.*\"} == 0",
          "for": "10m",
          "labels": {
            "severity": "warning"
          }
        },
        {
          "alert": "KmodTextfileStale",
          "annotations": {
            "description": "{{ $labels.file }} on {{ $labels.instance }} was last written {{ $value | humanizeDuration }} ago; kmod_exporter-textfile.timer rewrites it every minute. The kmod_* series node_exporter serves from it are that old: a module that stopped loading since would not page.",
            "fix": "On {{ $labels.instance }}: `systemctl status kmod_exporter-textfile.timer kmod_exporter-textfile.service` and `journalctl -u kmod_exporter-textfile.service -n 20` (a write error names the directory and its fix); restart the timer with `sudo systemctl enable --now kmod_exporter-textfile.timer`.",
            "runbook_url": "https://github.com/kmod-exporter/kmod_exporter/blob/main/alerts/runbooks/KmodTextfileStale.md",
            "summary": "kmod_exporter's textfile is no longer refreshed, so node_exporter serves old module health."
          },
          "expr": "time() - node_textfile_mtime_seconds{file=~\"(.*/)?kmod\\\\.prom\"} > 300",
          "for": "5m",
          "labels": {
            "severity": "warning"
          }
        }
      ]
    }
  ]
}
