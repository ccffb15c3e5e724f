// Command kmod_exporter tells whether the kernel modules a host's firewall
// needs are loaded and, if not, which documented cause holds.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/kmod-exporter/kmod_exporter/collector"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// defaultPort is not in Prometheus' default port allocations (see docs/port.md).
const defaultPort = "10473"

const exporterName = "kmod_exporter"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	app := kingpin.CommandLine
	app.Name = exporterName
	app.Help = "Prometheus exporter that tells whether the kernel modules a firewall needs are loaded, and if not, why."
	var (
		metricsPath = app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		maxRequests = app.Flag("web.max-requests", "Maximum number of parallel scrape requests; 0 disables the limit.").Default("40").Int()
		noExporter  = app.Flag("web.disable-exporter-metrics", "Exclude the exporter's own go_* and process_* metrics.").Bool()
		procPath    = app.Flag("path.procfs", "The host's procfs mount point.").Default("/proc").String()
		sysPath     = app.Flag("path.sysfs", "The host's sysfs mount point.").Default("/sys").String()
		rootPath    = app.Flag("path.rootfs", "The host's root filesystem mount point (for /lib/modules and /etc).").Default("/").String()
		configFile  = app.Flag("config.file", "YAML file listing required modules. Without it and without --module, an embedded default is used.").String()
		modules     = app.Flag("module", "Require this module (name or alias); repeatable.").Strings()
		logLevel    = app.Flag("log.level", "Only log messages with this severity or above: debug, info, warn, error.").Default("info").Enum("debug", "info", "warn", "error")
		logFormat   = app.Flag("log.format", "Log format: logfmt or json.").Default("logfmt").Enum("logfmt", "json")
		webConfig   = kingpinflag.AddFlags(app, ":"+defaultPort)
	)
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", exporterName, err)
		return 2
	}

	logger, slogger := newLogger(os.Stderr, *logFormat, *logLevel)

	reqs, err := loadRequirements(*configFile, *modules)
	if err != nil {
		level.Error(logger).Log("msg", "invalid configuration", "err", err)
		return 2
	}
	var current atomic.Pointer[collector.Requirements]
	current.Store(&reqs)

	level.Info(logger).Log("msg", "starting "+exporterName, "version", version.Info(), "build_context", version.BuildContext())
	host := kmod.NewHost(kmod.Paths{Proc: *procPath, Sys: *sysPath, Root: *rootPath})
	describeHost(logger, host)

	kc, err := collector.New(collector.Options{Host: host, ProcPath: *procPath, Requirements: func() collector.Requirements { return *current.Load() }}, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot build collectors", "err", err)
		return 2
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(kc, versioncollector.NewCollector(exporterName))
	if !*noExporter {
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}

	mux := http.NewServeMux()
	mux.Handle(*metricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            stdLogger{logger},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: *maxRequests,
	}))
	if *metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "kmod exporter",
			Description: "Kernel module and firewall health",
			Version:     version.Info(),
			Links:       []web.LandingLinks{{Address: *metricsPath, Text: "Metrics"}},
		})
		if err != nil {
			level.Error(logger).Log("msg", "cannot build landing page", "err", err)
			return 1
		}
		mux.Handle("/", landing)
	}
	server := &http.Server{Handler: mux}
	if err := web.ListenAndServe(server, webConfig, slogger); err != nil {
		level.Error(logger).Log("msg", "server stopped", "err", err)
		return 1
	}
	return 0
}

// describeHost says plainly at start what kind of kernel this is, so a user
// on a kernel without module support is not left wondering.
func describeHost(logger log.Logger, host *kmod.Host) {
	k, err := host.ReadKernel()
	if err != nil {
		level.Warn(logger).Log("msg", "cannot read the running kernel", "err", err)
		return
	}
	if !k.ModuleSupport {
		level.Info(logger).Log("msg", "this kernel has no loadable module support (no /proc/modules): a required module is present only if it is built in; kmod_kernel_module_support is 0", "release", k.Release)
	} else if !k.ModulesDirPresent {
		level.Warn(logger).Log("msg", "no module directory for the running kernel: no module can be loaded", "dir", k.ModulesDir, "installed", strings.Join(k.Trees, ","))
	}
}

// loadRequirements builds the required modules from --config.file and
// --module, or the embedded default when neither is given.
func loadRequirements(configFile string, modules []string) (collector.Requirements, error) {
	var reqs collector.Requirements
	for _, m := range modules {
		if err := kmod.ValidateName(m); err != nil {
			return reqs, fmt.Errorf("--module: %w", err)
		}
	}
	var (
		cfg    kmod.Config
		source string
		err    error
	)
	switch {
	case configFile != "":
		data, rerr := os.ReadFile(configFile)
		if rerr != nil {
			return reqs, rerr
		}
		if cfg, err = kmod.ParseConfig(data); err != nil {
			return reqs, fmt.Errorf("%s: %w", configFile, err)
		}
		source = "config"
	case len(modules) == 0:
		if cfg, err = kmod.ParseConfig(kmod.DefaultConfigYAML); err != nil {
			return reqs, fmt.Errorf("embedded default: %w", err)
		}
		source = "default"
	}
	for _, m := range cfg.Modules {
		reqs.Modules = append(reqs.Modules, collector.Requirement{Name: m, Source: source})
	}
	for _, m := range modules {
		reqs.Modules = append(reqs.Modules, collector.Requirement{Name: m, Source: "flag"})
	}
	reqs.IncludeBoot = cfg.IncludeLoadOnBoot
	reqs.Rulesets = cfg.RulesetPaths()
	return reqs, nil
}
