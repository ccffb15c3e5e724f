package causes

// moduleCauses are the causes of a required module not loading, or not
// staying loaded, in the order of the rules file's modules group.
var moduleCauses = []Definition{
	{
		Name: ModuleNotLoaded, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `kmod_module_loaded == 0
  and on (job, instance, module) kmod_module_required
`,
		Summary:     "A kernel module the firewall needs is not loaded.",
		BootSummary: "A kernel module the host loads at boot is not loaded; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded:",
			"it is not in /proc/modules and not built into the kernel. Rules that use it",
			"cannot be loaded or evaluated. This is the generic symptom; a more specific",
			"alert (blacklisted, file missing, ...) replaces it when one applies.",
		},
		Fix: []string{
			"On {{ $labels.instance }}: check with `lsmod | grep {{ $labels.module }}`, load it with",
			"`sudo modprobe {{ $labels.module }}`, and keep it across reboots with",
			"`echo {{ $labels.module }} | sudo tee -a /etc/modules-load.d/iptables.conf`.",
		},
	},
	{
		Name: ModuleBlacklisted, Group: groupModules, Severity: Critical, For: "2m",
		Why: []string{
			"A blacklist stops only a load that asks for the module itself, not its",
			"load as another required module's dependency (loaded_as_dependency): while",
			"one such module is required, the blacklist is not why this one is missing,",
			"and KmodModuleNotLoaded says so instead.",
		},
		Expr: `(
  kmod_module_blacklisted == 1
    and on (job, instance, module) kmod_module_loaded == 0
    and on (job, instance, module) kmod_module_required
    unless on (job, instance, module) kmod_module_loaded_as_dependency
)
* on (job, instance, module) group_right ()
  kmod_module_blacklist_info{directive=~"blacklist|cmdline"}
`,
		Summary:     "A required kernel module is blacklisted and not loaded.",
		BootSummary: "A kernel module the host loads at boot is blacklisted and not loaded; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and",
			"{{ if eq $labels.directive \"cmdline\" }}modprobe.blacklist= on the kernel command line{{ else }}{{ $labels.path }} line {{ $labels.line }}{{ end }}",
			"blacklists it, so the kernel and iptables cannot load it on demand by its alias.",
		},
		Fix: []string{
			"{{ if eq $labels.directive \"cmdline\" }}Remove {{ $labels.module }} from modprobe.blacklist= in GRUB_CMDLINE_LINUX",
			"(/etc/default/grub), run `sudo update-grub` (RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`) and reboot;",
			"until then `sudo modprobe {{ $labels.module }}` loads it by name.{{ else }}On {{ $labels.instance }}, comment out",
			"line {{ $labels.line }} of {{ $labels.path }} (`blacklist {{ $labels.module }}` becomes `#blacklist {{ $labels.module }}`;",
			"find every such line with `grep -rn {{ $labels.module }} /etc/modprobe.d/`), then `sudo modprobe {{ $labels.module }}`.{{ end }}",
		},
	},
	{
		Name: ModuleDisabled, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `(
  kmod_module_disabled == 1
    and on (job, instance, module) kmod_module_loaded == 0
    and on (job, instance, module) kmod_module_required
)
* on (job, instance, module) group_right ()
  kmod_module_blacklist_info{directive=~"install|cmdline"}
`,
		Summary:     "A required kernel module is disabled and cannot be loaded at all.",
		BootSummary: "A kernel module the host loads at boot is disabled and cannot be loaded; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but",
			"{{ if eq $labels.directive \"install\" }}an install override at {{ $labels.path }} line {{ $labels.line }} runs a",
			"command that loads nothing instead of the module{{ else }}module_blacklist= on the kernel command line makes the",
			"kernel refuse it{{ end }}, so not even `modprobe {{ $labels.module }}` loads it.",
		},
		Fix: []string{
			"{{ if eq $labels.directive \"install\" }}On {{ $labels.instance }}, comment out line {{ $labels.line }} of",
			"{{ $labels.path }} (`install {{ $labels.module }} /bin/true` or similar), then `sudo modprobe {{ $labels.module }}`.{{ else }}Remove",
			"{{ $labels.module }} from module_blacklist= in GRUB_CMDLINE_LINUX (/etc/default/grub), run `sudo update-grub`",
			"(RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`) and reboot: the kernel enforces it until the next boot.{{ end }}",
		},
	},
	{
		Name: ModuleFileMissing, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `(
  kmod_module_present_on_disk == 0
    and on (job, instance, module) kmod_module_builtin == 0
    and on (job, instance, module) kmod_module_loaded == 0
    and on (job, instance, module) kmod_module_required
    unless on (job, instance, module) kmod_module_kernel_config{value="n"}
    unless on (job, instance, module) kmod_requirement_unknown
    and on (job, instance) kmod_kernel_modules_dir_present == 1
)
* on (job, instance) group_left (release) kmod_kernel_info
`,
		Summary:     "A required kernel module's file is missing for the running kernel.",
		BootSummary: "A kernel module the host loads at boot has no file for the running kernel; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but no {{ $labels.module }}.ko* exists under",
			"/lib/modules/{{ $labels.release }} (an incomplete kernel update, or the package that ships it is not installed).",
			"{{- with printf \"kmod_module_present_for_release{instance=%q,module=%q} == 1\" $labels.instance $labels.module | query }}",
			"Installed release(s) that have it:{{ range . }} {{ .Labels.release }}{{ end }}.{{ end }}",
		},
		Fix: []string{
			"{{ if eq $labels.tree \"out_of_tree\" }}{{ $labels.module }} is an out-of-tree module (updates/, extra/ or dkms/: DKMS or a vendor's",
			"package), which reinstalling the kernel does not bring back: build it for this kernel with",
			"`sudo dkms autoinstall -k {{ $labels.release }}` (`dkms status` lists what DKMS has), or install the vendor's package for",
			"{{ $labels.release }}.{{ else }}Reinstall the running kernel's modules, then load it. Debian: `sudo apt-get update && sudo apt-get install --reinstall",
			"linux-image-{{ $labels.release }}`; Ubuntu (many netfilter modules ship in linux-modules-extra):",
			"`sudo apt update && sudo apt install linux-modules-extra-{{ $labels.release }}`; RHEL/CentOS/Fedora:",
			"`sudo yum reinstall kernel-{{ $labels.release }}` and `sudo yum install kernel-modules-{{ $labels.release }}`.{{ if ne $labels.tree \"in_tree\" }}",
			"An out-of-tree module (ZFS, NVIDIA, VirtualBox: DKMS; another release has it under updates/, extra/ or dkms/) is",
			"built for this kernel with `sudo dkms autoinstall -k {{ $labels.release }}` (or the vendor's package for it), not by reinstalling the kernel.{{ end }}{{ end }}",
			"Check with `find /lib/modules/{{ $labels.release }} -name '{{ $labels.module }}.ko*'`, then `sudo modprobe {{ $labels.module }}`.",
		},
	},
	{
		Name: NoModulesForRunningKernel, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `(
  kmod_kernel_modules_dir_present == 0
    and on (job, instance) kmod_kernel_module_support == 1
)
* on (job, instance) group_left (release) kmod_kernel_info
`,
		Summary: "The running kernel has no module directory, so no module can be loaded.",
		Description: []string{
			"{{ $labels.instance }} runs kernel {{ $labels.release }} but /lib/modules/{{ $labels.release }} does not exist",
			"(a hand-built kernel, or an update that did not finish).",
			"{{- with printf \"kmod_kernel_module_tree_info{instance=%q}\" $labels.instance | query }}",
			"Installed module trees:{{ range . }} {{ .Labels.release }}{{ end }}.{{ end }}",
		},
		Fix: []string{
			"Compare `uname -r` with `ls /lib/modules/`. Reboot and pick a kernel whose modules are installed from the GRUB",
			"menu, or reinstall this one: `sudo apt-get install --reinstall linux-image-{{ $labels.release }}`",
			"(RHEL: `sudo yum reinstall kernel-{{ $labels.release }}`).",
		},
	},
	{
		Name: RequirementUnknown, Group: groupModules, Severity: Warning, For: "10m",
		Expr: `kmod_requirement_unknown == 1
`,
		Summary: "A firewall rule or configuration asks for a module that no installed kernel has.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} by {{ $labels.source }}{{ with $labels.path }} ({{ . }}",
			"{{- with $labels.line }}{{ if ne . \"0\" }} line {{ . }}{{ end }}{{ end }}){{ end }}, but no installed module tree, alias,",
			"built-in list or netfilter kernel option knows the name: a typo, or an extension no kernel provides. Nothing can",
			"load it, so it is not reported as a missing file.",
		},
		Fix: []string{
			"Correct the name where it is asked for: the module or alias as `modinfo` knows it (`modinfo -n <name>` prints its",
			"file), or remove the request if the rule does not need it. If the module comes from a package that is not",
			"installed (an out-of-tree module), install that package for the running kernel.",
		},
	},
	{
		Name: ModuleReleaseMismatch, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `(
  kmod_module_release_match == 0
    and on (job, instance, module) kmod_module_present_on_disk == 1
    and on (job, instance, module) kmod_module_loaded == 0
    and on (job, instance, module) kmod_module_required
)
* on (job, instance, module) group_left (path, file_release)
  label_replace(kmod_module_file_info, "file_release", "$1", "release", "(.*)")
* on (job, instance) group_left (release) kmod_kernel_info
`,
		Summary:     "A required kernel module's file was built for another kernel.",
		BootSummary: "A kernel module the host loads at boot was built for another kernel; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but its file {{ $labels.path }} was built for",
			"kernel {{ if $labels.file_release }}{{ $labels.file_release }}{{ else }}(unreadable vermagic){{ end }}, while",
			"{{ $labels.release }} is running; the kernel refuses it.",
		},
		Fix: []string{
			"Check with `modinfo -F vermagic {{ $labels.module }}` and `uname -r`. {{ if eq $labels.tree \"out_of_tree\" }}It is an",
			"out-of-tree module (updates/, extra/ or dkms/): rebuild it for this kernel with `sudo dkms autoinstall -k {{ $labels.release }}`,",
			"or install the vendor's package for {{ $labels.release }}.{{ else }}Reinstall the running kernel's package so its",
			"modules match: `sudo apt-get install --reinstall linux-image-{{ $labels.release }}` (RHEL:",
			"`sudo yum reinstall kernel-{{ $labels.release }}`){{ if ne $labels.tree \"in_tree\" }}; for a DKMS module, `sudo dkms autoinstall -k {{ $labels.release }}`{{ end }}.{{ end }}",
			"Then `sudo modprobe {{ $labels.module }}`.",
		},
	},
	{
		Name: ModuleFileUnreadable, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `kmod_module_file_error == 1
  and on (job, instance, module) kmod_module_loaded == 0
  and on (job, instance, module) kmod_module_required
`,
		Summary:     "A required kernel module's file is truncated, corrupt or too large to read.",
		BootSummary: "A kernel module the host loads at boot has a truncated, corrupt or oversized file; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and its file {{ $labels.path }}",
			"cannot be read ({{ $labels.reason }}): {{ if eq $labels.reason \"truncated\" }}it ends early, as after a full disk",
			"or an interrupted install{{ else if eq $labels.reason \"too_large\" }}it decompresses to more than any real module",
			"holds{{ else if eq $labels.reason \"unreadable\" }}it cannot be opened or read{{ else }}it is not a valid (compressed)",
			"kernel module{{ end }}. modprobe fails on it the same way.",
		},
		Fix: []string{
			"Find the package that owns the file with `dpkg -S {{ $labels.path }}` (RHEL: `rpm -qf {{ $labels.path }}`) and",
			"reinstall it: `sudo apt-get install --reinstall PACKAGE` (RHEL: `sudo yum reinstall PACKAGE`); for a DKMS module,",
			"`sudo dkms install --force` the module for this kernel. Then `sudo depmod -a && sudo modprobe {{ $labels.module }}`.",
		},
	},
	{
		Name: ModuleDependencyMissing, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `kmod_module_dependency_usable == 0
  and on (job, instance, module) kmod_module_dependencies_satisfied == 0
  and on (job, instance, module) kmod_module_loaded == 0
  and on (job, instance, module) kmod_module_required
`,
		Summary:     "A required kernel module cannot load because a module it depends on is missing or blocked.",
		BootSummary: "A kernel module the host loads at boot cannot load because a module it depends on is missing or blocked; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and its dependency",
			"{{ $labels.dependency }} is not loaded and cannot be (its file is missing, built for another kernel, or disabled).",
		},
		Fix: []string{
			"List the dependencies with `modinfo {{ $labels.module }} | grep depends`. Load the dependency first, then the module:",
			"`sudo modprobe {{ $labels.dependency }} && sudo modprobe {{ $labels.module }}`. If modprobe says",
			"\"Module {{ $labels.dependency }} not found\", reinstall the running kernel's package (see " + ModuleFileMissing + ").",
		},
	},
	{
		Name: ModuleNotLoadedMemoryPressure, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `kmod_module_loaded == 0
  and on (job, instance, module) kmod_module_required
  and on (job, instance) (
    kmod_memory_pressure_ratio{kind="full", window="60s"} > ` + ratio(MemoryPressureFullRatio) + `
    or kmod_memory_available_ratio < ` + ratio(MemoryAvailableRatio) + `
  )
`,
		Summary:     "A required kernel module is not loaded while the host is under severe memory pressure.",
		BootSummary: "A kernel module the host loads at boot is not loaded while the host is under severe memory pressure; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }} but is not loaded, and the host is starved of memory",
			"(all tasks stalled on memory over " + percent(MemoryPressureFullRatio) + " of the last minute, or under " + percent(MemoryAvailableRatio) + " of memory available): the kernel may fail",
			"to allocate what loading the module needs.",
		},
		Fix: []string{
			"Look at memory with `free -h` and `top` (high use, heavy swapping). Stop non-essential processes or add RAM, then",
			"`sudo modprobe {{ $labels.module }}`.",
		},
	},
	{
		Name: KernelBuiltWithoutModule, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `kmod_module_kernel_config{value="n"}
  and on (job, instance, module) kmod_module_builtin == 0
  and on (job, instance, module) kmod_module_present_on_disk == 0
  and on (job, instance, module) kmod_module_required
`,
		Summary:     "The running kernel was built without a Netfilter option a required module needs.",
		BootSummary: "The running kernel was built without the option of a module the host loads at boot; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.module }} is required on {{ $labels.instance }}, but the running kernel's configuration has",
			"{{ $labels.symbol }} not set: it is neither built in nor available as a module, and cannot be loaded.",
		},
		Fix: []string{
			"Confirm with `grep {{ $labels.symbol }} /boot/config-$(uname -r)`. Boot a distribution kernel that has it, or",
			"reconfigure the custom kernel with {{ $labels.symbol }}=m (module) or =y (built in), rebuild and install it.",
		},
	},
	{
		Name: KernelWithoutModuleSupport, Group: groupModules, Severity: Critical, For: "2m",
		Expr: `kmod_module_loaded == 0
  and on (job, instance, module) kmod_module_required
  and on (job, instance) kmod_kernel_module_support == 0
`,
		Summary:     "A required module is missing from a kernel that cannot load modules.",
		BootSummary: "A module the host loads at boot is missing from a kernel that cannot load modules; no firewall rule needs it.",
		Description: []string{
			"{{ $labels.instance }} runs a kernel built without loadable module support (no /proc/modules), and the required",
			"{{ $labels.module }} is not built into it: nothing on this host can make it available.",
		},
		Fix: []string{
			"Boot a kernel with module support (CONFIG_MODULES=y) that has {{ $labels.module }}, or rebuild this kernel with",
			"{{ $labels.module }} built in.",
		},
	},
	{
		Name: DepmodIndexStale, Group: groupModules, Severity: Warning, For: "10m",
		Expr: `kmod_module_depmod_stale == 1
  and on (job, instance, module) kmod_module_required
`,
		Summary: "A required module was installed but depmod was not run, so modprobe may not find it.",
		Description: []string{
			"{{ $labels.module }}'s file on {{ $labels.instance }} is not listed in modules.dep, or is newer than it, so",
			"modprobe may not find it: if it is loaded now, its next load (at the next reboot or rule reload) may fail.",
		},
		Fix: []string{
			"Rebuild the module index for the running kernel: `sudo depmod -a`; if it is not loaded, then `sudo modprobe {{ $labels.module }}`.",
		},
	},
	{
		Name: ModuleNextLoadFails, Group: groupModules, Severity: Warning, For: "10m",
		Why: []string{
			"A latent fault: the module is loaded, so nothing fails yet. A blacklist",
			"stops only a load that asks for the module itself (by alias, or by name",
			"from systemd-modules-load, which applies it to names too), not its load",
			"as another required module's dependency (loaded_as_dependency).",
		},
		Expr: `(
    label_replace(
      (
        kmod_module_blacklisted == 1
          unless on (job, instance, module) kmod_module_loaded_as_dependency
      )
      * on (job, instance, module) group_right ()
        kmod_module_blacklist_info{directive=~"blacklist|cmdline"},
      "reason", "blacklisted", "", ""
    )
  or
    label_replace(
      (kmod_module_disabled == 1)
      * on (job, instance, module) group_right ()
        kmod_module_blacklist_info{directive=~"install|cmdline"},
      "reason", "disabled", "", ""
    )
  or
    label_replace(
      kmod_module_present_on_disk == 0
        and on (job, instance) kmod_kernel_modules_dir_present == 1,
      "reason", "file_missing", "", ""
    )
  or
    label_replace(
      kmod_module_release_match == 0
        and on (job, instance, module) kmod_module_present_on_disk == 1,
      "reason", "release_mismatch", "", ""
    )
    * on (job, instance, module) group_left (path, file_release)
      label_replace(kmod_module_file_info, "file_release", "$1", "release", "(.*)")
  or
    label_replace(
      label_replace(kmod_module_file_error == 1, "error", "$1", "reason", "(.*)"),
      "reason", "file_unreadable", "", ""
    )
)
and on (job, instance, module) kmod_module_loaded == 1
and on (job, instance, module) kmod_module_builtin == 0
and on (job, instance, module) kmod_module_required
`,
		Summary: "A required module is loaded now, but its next load would fail, so the firewall breaks at the next reboot or rule reload.",
		Description: []string{
			"{{ $labels.module }} is loaded on {{ $labels.instance }}, so the firewall works now, but the kernel could not load it",
			"again: the firewall fails to start at the next reboot or rule reload because",
			"{{ if eq $labels.reason \"blacklisted\" }}{{ if eq $labels.directive \"cmdline\" }}modprobe.blacklist= on the kernel command line{{ else }}{{ $labels.path }} line {{ $labels.line }}{{ end }}",
			"blacklists it, which stops its load by alias (iptables, the kernel) and by systemd-modules-load",
			"{{- else if eq $labels.reason \"disabled\" }}{{ if eq $labels.directive \"install\" }}an install override at {{ $labels.path }} line {{ $labels.line }}",
			"runs a command that loads nothing instead of it{{ else }}module_blacklist= on the kernel command line makes the kernel refuse it{{ end }}",
			"{{- else if eq $labels.reason \"file_missing\" }}its file is gone from /lib/modules/$(uname -r) (removed, or an incomplete kernel update)",
			"{{- else if eq $labels.reason \"release_mismatch\" }}its file {{ $labels.path }} was built for kernel",
			"{{ if $labels.file_release }}{{ $labels.file_release }}{{ else }}(unreadable vermagic){{ end }}, which the running kernel refuses",
			"{{- else if eq $labels.reason \"file_unreadable\" }}its file {{ $labels.path }} cannot be read ({{ $labels.error }})",
			"{{- else }}{{ $labels.reason }}{{ end }}.",
		},
		Fix: []string{
			"Fix it before the next reboot; the loaded module keeps working until then, so do not unload it.",
			"{{ if eq $labels.reason \"blacklisted\" }}{{ if eq $labels.directive \"cmdline\" }}Remove {{ $labels.module }} from",
			"modprobe.blacklist= in GRUB_CMDLINE_LINUX (/etc/default/grub) and run `sudo update-grub`",
			"(RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`).{{ else }}On {{ $labels.instance }}, comment out line {{ $labels.line }}",
			"of {{ $labels.path }} (`blacklist {{ $labels.module }}` becomes `#blacklist {{ $labels.module }}`; find every such line with",
			"`grep -rn {{ $labels.module }} /etc/modprobe.d/`).{{ end }}",
			"{{- else if eq $labels.reason \"disabled\" }}{{ if eq $labels.directive \"install\" }}On {{ $labels.instance }}, comment out",
			"line {{ $labels.line }} of {{ $labels.path }} (`install {{ $labels.module }} /bin/true` or similar).{{ else }}Remove",
			"{{ $labels.module }} from module_blacklist= in GRUB_CMDLINE_LINUX (/etc/default/grub) and run `sudo update-grub`",
			"(RHEL: `sudo grub2-mkconfig -o /boot/grub2/grub.cfg`).{{ end }}",
			"{{- else if eq $labels.reason \"file_unreadable\" }}Find the package that owns the file with `dpkg -S {{ $labels.path }}`",
			"(RHEL: `rpm -qf {{ $labels.path }}`) and reinstall it: `sudo apt-get install --reinstall PACKAGE` (RHEL:",
			"`sudo yum reinstall PACKAGE`); for a DKMS module, `sudo dkms install --force` it for this kernel; then `sudo depmod -a`.",
			"{{- else }}Reinstall the running kernel's modules: Debian `sudo apt-get install --reinstall linux-image-$(uname -r)`",
			"(Ubuntu: also `linux-modules-extra-$(uname -r)`; RHEL: `sudo yum reinstall kernel-$(uname -r)`); for a DKMS module,",
			"`sudo dkms autoinstall -k $(uname -r)`.{{ end }}",
			"Then `modinfo -F vermagic {{ $labels.module }}` names the running kernel and",
			"`modprobe -c | grep -E '^(blacklist|install) {{ $labels.module }}( |$)'` prints nothing.",
		},
	},
	{
		Name: ModuleNotPersistent, Group: groupModules, Severity: Info, For: "30m",
		Expr: `kmod_module_load_on_boot == 0
  and on (job, instance, module) kmod_module_loaded == 1
  and on (job, instance, module) kmod_module_builtin == 0
  and on (job, instance, module) kmod_module_required{source=~"config|flag|default"}
  unless on (job, instance, module) kmod_module_required{source!~"config|flag|default"}
`,
		Why: []string{
			"Only modules named in the configuration: a ruleset's or a firewall manager's",
			"modules are loaded by its own start at every boot, and a boot list's are persistent.",
		},
		Summary: "A required module is loaded now but will not be loaded after a reboot.",
		Description: []string{
			"{{ $labels.module }} is loaded on {{ $labels.instance }} but no modules-load.d file, /etc/modules or modules_load=",
			"lists it, so it may be missing after the next boot (as after a kernel upgrade).",
		},
		Fix: []string{
			"`echo {{ $labels.module }} | sudo tee -a /etc/modules-load.d/iptables.conf` (the file is created if it does not exist).",
		},
	},
	{
		Name: NextBootModuleMissing, Group: groupModules, Severity: Warning, For: "10m",
		Expr: `kmod_module_present_for_release == 0
  and on (job, instance, module) kmod_module_required
  unless on (job, instance, module) kmod_requirement_unknown
`,
		Summary: "An installed kernel lacks a required module; booting it would break the firewall.",
		Description: []string{
			"{{ $labels.instance }} has kernel {{ $labels.release }} installed (the next boot may run it), but its module tree",
			"has no {{ $labels.module }}, which the firewall requires.",
		},
		Fix: []string{
			"Before rebooting, complete that kernel's installation: `sudo apt-get install --reinstall linux-image-{{ $labels.release }}`",
			"(Ubuntu: also `linux-modules-extra-{{ $labels.release }}`; RHEL: `sudo yum reinstall kernel-{{ $labels.release }}`); for a",
			"DKMS module `sudo dkms autoinstall -k {{ $labels.release }}`. Check with",
			"`find /lib/modules/{{ $labels.release }} -name '{{ $labels.module }}.ko*'`.",
		},
	},
}
