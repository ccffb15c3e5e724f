package causes

import "strconv"

// hostCauses are the causes that concern the whole host: the firewall's
// rulesets and tables, and the exporter itself.
var hostCauses = []Definition{
	{
		Name: XtablesMatchNotRegistered, Group: groupFirewall, Severity: Critical, For: "2m",
		Expr:    "kmod_xtables_match_registered == 0",
		Summary: "A firewall rule uses an iptables match the kernel does not have.",
		Description: []string{
			"A ruleset on {{ $labels.instance }} uses `-m {{ $labels.match }}` ({{ $labels.family }}), but the kernel has not",
			"registered it, so `iptables -m {{ $labels.match }} -h` fails with \"No chain/target/match by that name\" and the",
			"rules cannot be restored.",
		},
		Fix: []string{
			"`sudo modprobe {{ if $labels.module }}{{ $labels.module }}{{ else }}xt_{{ $labels.match }}{{ end }}`, then start the firewall again:",
			"`sudo systemctl restart netfilter-persistent` (RHEL: `sudo systemctl start iptables`). Persist it with",
			"`echo {{ if $labels.module }}{{ $labels.module }}{{ else }}xt_{{ $labels.match }}{{ end }} | sudo tee -a /etc/modules-load.d/iptables.conf`.",
		},
	},
	{
		Name: XtablesTargetNotRegistered, Group: groupFirewall, Severity: Critical, For: "2m",
		Expr:    "kmod_xtables_target_registered == 0",
		Summary: "A firewall rule jumps to an iptables target the kernel does not have.",
		Description: []string{
			"A ruleset on {{ $labels.instance }} uses `-j {{ $labels.target }}` ({{ $labels.family }}), but the kernel has not",
			"registered that target, so the rules cannot be restored.",
		},
		Fix: []string{
			"`sudo modprobe {{ if $labels.module }}{{ $labels.module }}{{ else }}xt_{{ $labels.target }}{{ end }}`, then start the firewall again:",
			"`sudo systemctl restart netfilter-persistent` (RHEL: `sudo systemctl start iptables`).",
		},
	},
	{
		Name: IptablesOutdated, Group: groupFirewall, Severity: Info, For: "30m",
		Expr:    "kmod_iptables_info{version=~" + strconv.Quote(iptablesOutdatedPattern) + "}",
		Summary: "The iptables package is older than " + OldestGoodIptables + " and may not handle current kernel modules.",
		Description: []string{
			"{{ $labels.instance }} has iptables {{ $labels.version }} installed; releases before " + OldestGoodIptables + " may not recognise or",
			"request the modules of a current kernel correctly.",
		},
		Fix: []string{
			"`iptables --version`; update the package: Debian/Ubuntu `sudo apt update && sudo apt upgrade iptables`,",
			"RHEL/CentOS `sudo yum update iptables`.",
		},
	},
	{
		Name: ConntrackTableNearFull, Group: groupFirewall, Severity: Warning, For: "5m",
		Expr:    "kmod_conntrack_entries / kmod_conntrack_entries_limit > " + ratio(ConntrackNearFullRatio),
		Summary: "The connection tracking table is over " + percent(ConntrackNearFullRatio) + " full; new connections will be dropped.",
		Description: []string{
			"{{ $labels.instance }}'s conntrack table is {{ $value | humanizePercentage }} full; when it is full the kernel",
			"drops packets of new connections (\"nf_conntrack: table full, dropping packet\").",
		},
		Fix: []string{
			"Raise the limit now: `sudo sysctl -w net.netfilter.nf_conntrack_max=$(( $(sysctl -n net.netfilter.nf_conntrack_max) * 2 ))`,",
			"persist it in /etc/sysctl.d/90-conntrack.conf, and find who opens so many connections with `sudo conntrack -S` and",
			"`sudo conntrack -L | awk '{print $5}' | sort | uniq -c | sort -rn | head`.",
		},
	},
	{
		Name: ExporterCannotSeeHost, Group: groupExporter, Severity: Critical, For: "5m",
		Why:     []string{"Critical: while it holds nothing about the host is watched, and no module alert", "can fire for a host the exporter cannot see."},
		Expr:    "kmod_exporter_host_readable == 0",
		Summary: "kmod_exporter is pointed at something that is not the host, so the firewall's modules are not watched.",
		Description: []string{
			"kmod_exporter on {{ $labels.instance }} reads the host's {{ $labels.filesystem }} at {{ $labels.path }}, which",
			"{{ $labels.reason }}. This is the exporter's configuration, not a fault of the host: every collector that reads it",
			"reports failure, and no module alert can fire until it is fixed.",
		},
		Fix: []string{
			"Point --path.{{ $labels.filesystem }} at the host's {{ $labels.filesystem }} as mounted in the exporter's container or",
			"unit (the shipped DaemonSet mounts the host's / at /host and passes --path.rootfs=/host, --path.procfs=/host/proc",
			"and --path.sysfs=/host/sys), then restart it; `kmod_exporter check` with the same flags says what it sees.",
		},
	},
	{
		Name: ModulesCollectorFailed, Group: groupExporter, Severity: Critical, For: ModulesCollectorFailedFor,
		Why:     []string{"Critical: without the modules collector no module alert can fire, and the ones", "firing stay only for " + ModuleKeepFiringFor + " (keep_firing_for)."},
		Expr:    `kmod_scrape_collector_success{collector="modules"} == 0`,
		Summary: "kmod_exporter cannot read the host's modules, so no module alert can fire.",
		Description: []string{
			"The modules collector of kmod_exporter on {{ $labels.instance }} fails at every scrape: there are no",
			"kmod_module_* series, so a firewall module that is missing or blocked would not page, and module alerts that",
			"were firing are kept for " + ModuleKeepFiringFor + " only.",
		},
		Fix: []string{
			"Read the exporter's log: `journalctl -u kmod_exporter | grep 'collector failed'` names the file it could not read",
			"(/proc/modules, modules.dep, modules.alias, a modprobe.d file); fix its permissions or the mount",
			"(--path.procfs, --path.sysfs, --path.rootfs). Meanwhile run `sudo kmod_exporter check` on the host.",
		},
	},
	{
		Name: ExporterCollectorFailed, Group: groupExporter, Severity: Warning, For: "10m",
		Expr:    `kmod_scrape_collector_success{collector!="modules"} == 0`,
		Summary: "kmod_exporter cannot read part of the host, so some causes would go unseen.",
		Description: []string{
			"The {{ $labels.collector }} collector of kmod_exporter on {{ $labels.instance }} fails at every scrape; its",
			"metrics are missing or incomplete.",
		},
		Fix: []string{
			"Read the exporter's log: `journalctl -u kmod_exporter | grep 'collector failed'` names the file it could not read;",
			"fix its permissions or the mount (--path.procfs, --path.sysfs, --path.rootfs), or disable the collector with",
			"`--no-collector.{{ $labels.collector }}`.",
		},
	},
	{
		Name: ExporterDown, Group: groupExporter, Severity: Warning, For: ExporterDownFor,
		Why:     []string{"A warning after " + ExporterDownFor + " like kube-prometheus' TargetDown: a restart or", "a short network blip is not worth a page."},
		Expr:    "up{" + ExporterSelector + "} == 0",
		Summary: "kmod_exporter cannot be scraped, so the firewall's modules are not watched.",
		Description: []string{
			"Prometheus cannot scrape kmod_exporter at {{ $labels.instance }} (job {{ $labels.job }}).",
		},
		Fix: []string{
			"On the host: `systemctl status kmod_exporter` and `journalctl -u kmod_exporter -n 50`; check the port with",
			"`curl -s http://localhost:10473/metrics | head`.",
		},
	},
	{
		Name: TextfileStale, Group: groupExporter, Severity: Warning, For: "5m",
		Why:     []string{"Textfile mode (deploy/systemd/kmod_exporter-textfile.timer, every", "minute): node_exporter keeps serving the last file, so a stopped", "timer shows as an old mtime, not as a missing target."},
		Expr:    "time() - node_textfile_mtime_seconds{file=~\"(.*/)?kmod\\\\.prom\"} > " + strconv.Itoa(TextfileStaleSeconds),
		Summary: "kmod_exporter's textfile is no longer refreshed, so node_exporter serves old module health.",
		Description: []string{
			"{{ $labels.file }} on {{ $labels.instance }} was last written {{ $value | humanizeDuration }} ago;",
			"kmod_exporter-textfile.timer rewrites it every minute. The kmod_* series node_exporter serves from it",
			"are that old: a module that stopped loading since would not page.",
		},
		Fix: []string{
			"On {{ $labels.instance }}: `systemctl status kmod_exporter-textfile.timer kmod_exporter-textfile.service` and",
			"`journalctl -u kmod_exporter-textfile.service -n 20` (a write error names the directory and its fix); restart",
			"the timer with `sudo systemctl enable --now kmod_exporter-textfile.timer`.",
		},
	},
}
