package main

import (
	"runtime/debug"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
)

// options are the parsed command line.
type options struct {
	metricsPath, procPath, sysPath, rootPath, configFile, outputFile string
	modules                                                          []string
	maxRequests, maxProcs                                            int
	timeoutOffset                                                    time.Duration
	noExporterMetrics, configCheck, enableLifecycle                  bool
	checkFormat, checkColor                                          string
	logLevel, logFormat                                              string
	web                                                              *web.FlagConfig
	// checkCommand is set when the command is check rather than serve.
	checkCommand bool
}

// parseFlags defines the command line and parses args; --help and
// --version print and exit here.
func parseFlags(args []string) (options, error) {
	app := kingpin.CommandLine
	app.Name = exporterName
	app.Help = "Prometheus exporter that tells whether the kernel modules a firewall needs are loaded, and if not, why."
	var o options
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&o.metricsPath)
	app.Flag("web.max-requests", "Maximum number of parallel scrape requests; 0 disables the limit.").Default("40").IntVar(&o.maxRequests)
	app.Flag("web.disable-exporter-metrics", "Exclude the exporter's own go_* and process_* metrics.").BoolVar(&o.noExporterMetrics)
	app.Flag("web.enable-lifecycle", "Enable configuration reload via HTTP request (POST /-/reload), as Prometheus' flag of the same name. SIGHUP reloads either way.").BoolVar(&o.enableLifecycle)
	app.Flag("web.scrape-timeout-offset", "Subtracted from Prometheus' scrape timeout (X-Prometheus-Scrape-Timeout-Seconds): collectors still running then are reported failed, and the rest is served.").Default("500ms").DurationVar(&o.timeoutOffset)
	app.Flag("runtime.gomaxprocs", "The target number of CPUs Go will run on (GOMAXPROCS), as node_exporter's flag; 0 leaves Go's own choice.").Envar("GOMAXPROCS").Default("1").IntVar(&o.maxProcs)
	app.Flag("path.procfs", "The host's procfs mount point.").Default("/proc").StringVar(&o.procPath)
	app.Flag("path.sysfs", "The host's sysfs mount point.").Default("/sys").StringVar(&o.sysPath)
	app.Flag("path.rootfs", "The host's root filesystem mount point (for /lib/modules and /etc).").Default("/").StringVar(&o.rootPath)
	app.Flag("config.file", "YAML file listing required modules and rulesets. Without it and without --module, an embedded default is used.").StringVar(&o.configFile)
	app.Flag("config.check", "Validate the configuration and exit.").BoolVar(&o.configCheck)
	app.Flag("module", "Require this module (name or alias); repeatable.").StringsVar(&o.modules)
	app.Flag("output.file", "Write one scrape to this file (atomically, in the text format, for node_exporter's textfile collector) and exit.").StringVar(&o.outputFile)
	app.Flag("log.level", "Only log messages with this severity or above: debug, info, warn, error.").Default("info").EnumVar(&o.logLevel, "debug", "info", "warn", "error")
	app.Flag("log.format", "Log format: logfmt or json.").Default("logfmt").EnumVar(&o.logFormat, "logfmt", "json")
	o.web = kingpinflag.AddFlags(app, ":"+defaultPort)
	app.Command("serve", "Serve metrics over HTTP (the default).").Default()
	check := app.Command("check", "Print each required module's checks, and the cause and fix of each problem. Exit status: 0 healthy (warnings, such as a loaded module whose next load would fail, do not change it), 1 a required module is unhealthy (a critical cause), 2 the host or a ruleset could not be read.")
	check.Flag("output", "Output format: table or json.").Default("table").EnumVar(&o.checkFormat, "table", "json")
	check.Flag("color", "Colour the table: auto (on a terminal), always or never.").Default("auto").EnumVar(&o.checkColor, "auto", "always", "never")
	stampVersion()
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')
	command, err := app.Parse(args)
	o.checkCommand = command == check.FullCommand()
	return o, err
}

// stampVersion fills in what `make build` stamps with -ldflags when the
// binary was built otherwise (go install, go build, go run), from what the
// Go toolchain recorded in it, so --version and the landing page are never
// empty.
func stampVersion() {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if version.Version == "" {
		version.Version = bi.Main.Version // v1.2.3 from go install, "(devel)" from a work tree
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.time" && version.BuildDate == "" {
			version.BuildDate = s.Value
		}
	}
	if version.Version == "" {
		version.Version = "unknown"
	}
}
