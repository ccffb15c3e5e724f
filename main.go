// Command kmod_exporter tells whether the kernel modules a host's firewall
// needs are loaded and, if not, which documented cause holds.
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
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

// options are the parsed command line.
type options struct {
	metricsPath, procPath, sysPath, rootPath, configFile, outputFile string
	modules                                                          []string
	maxRequests                                                      int
	timeoutOffset                                                    time.Duration
	noExporterMetrics, configCheck, enableLifecycle                  bool
	checkFormat, checkColor                                          string
	web                                                              *web.FlagConfig
}

func run(args []string) int {
	app := kingpin.CommandLine
	app.Name = exporterName
	app.Help = "Prometheus exporter that tells whether the kernel modules a firewall needs are loaded, and if not, why."
	var o options
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&o.metricsPath)
	app.Flag("web.max-requests", "Maximum number of parallel scrape requests; 0 disables the limit.").Default("40").IntVar(&o.maxRequests)
	app.Flag("web.disable-exporter-metrics", "Exclude the exporter's own go_* and process_* metrics.").BoolVar(&o.noExporterMetrics)
	app.Flag("web.enable-lifecycle", "Enable configuration reload via HTTP request (POST /-/reload), as Prometheus' flag of the same name. SIGHUP reloads either way.").BoolVar(&o.enableLifecycle)
	app.Flag("web.scrape-timeout-offset", "Subtracted from Prometheus' scrape timeout (X-Prometheus-Scrape-Timeout-Seconds): collectors still running then are reported failed, and the rest is served.").Default("500ms").DurationVar(&o.timeoutOffset)
	app.Flag("path.procfs", "The host's procfs mount point.").Default("/proc").StringVar(&o.procPath)
	app.Flag("path.sysfs", "The host's sysfs mount point.").Default("/sys").StringVar(&o.sysPath)
	app.Flag("path.rootfs", "The host's root filesystem mount point (for /lib/modules and /etc).").Default("/").StringVar(&o.rootPath)
	app.Flag("config.file", "YAML file listing required modules and rulesets. Without it and without --module, an embedded default is used.").StringVar(&o.configFile)
	app.Flag("config.check", "Validate the configuration and exit.").BoolVar(&o.configCheck)
	app.Flag("module", "Require this module (name or alias); repeatable.").StringsVar(&o.modules)
	app.Flag("output.file", "Write one scrape to this file (atomically, in the text format, for node_exporter's textfile collector) and exit.").StringVar(&o.outputFile)
	logLevel := app.Flag("log.level", "Only log messages with this severity or above: debug, info, warn, error.").Default("info").Enum("debug", "info", "warn", "error")
	logFormat := app.Flag("log.format", "Log format: logfmt or json.").Default("logfmt").Enum("logfmt", "json")
	o.web = kingpinflag.AddFlags(app, ":"+defaultPort)
	app.Command("serve", "Serve metrics over HTTP (the default).").Default()
	check := app.Command("check", "Print each required module's checks, and the cause and fix of each problem. Exit status: 0 healthy, 1 a required module is unhealthy, 2 the host could not be read.")
	check.Flag("output", "Output format: table or json.").Default("table").EnumVar(&o.checkFormat, "table", "json")
	check.Flag("color", "Colour the table: auto (on a terminal), always or never.").Default("auto").EnumVar(&o.checkColor, "auto", "always", "never")
	stampVersion()
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')
	command, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", exporterName, err)
		return 2
	}

	logger, slogger := newLogger(os.Stderr, *logFormat, *logLevel)
	reqs, err := loadRequirements(o.configFile, o.modules)
	if err != nil {
		// Said once: plainly for --config.check, in the log otherwise.
		if o.configCheck {
			fmt.Fprintf(os.Stderr, "configuration invalid: %v\n", err)
			return 1
		}
		level.Error(logger).Log("msg", "invalid configuration", "err", err)
		return 2
	}
	if o.configCheck {
		fmt.Printf("configuration valid: %d modules, %d rulesets, modules loaded at boot %s\n",
			len(reqs.Modules), len(reqs.Rulesets), map[bool]string{true: "required", false: "not required"}[reqs.IncludeBoot])
		return 0
	}
	host := kmod.NewHost(kmod.Paths{Proc: o.procPath, Sys: o.sysPath, Root: o.rootPath})
	if command == check.FullCommand() {
		return runCheck(os.Stdout, host, reqs, o)
	}

	level.Info(logger).Log("msg", "starting "+exporterName, "version", version.Info(), "build_context", version.BuildContext())
	if os.Geteuid() == 0 && hasCapabilities() {
		level.Warn(logger).Log("msg", "running as root: kmod_exporter needs no privileges; run it as an unprivileged user (root only adds the x_tables match and target checks)")
	}
	describeHost(logger, host)
	var current atomic.Pointer[collector.Requirements]
	current.Store(&reqs)
	kc, err := collector.New(collector.Options{Host: host, Requirements: func() collector.Requirements { return *current.Load() }}, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot build collectors", "err", err)
		return 2
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector(exporterName))
	if o.outputFile != "" {
		if err := writeTextfile(merged{reg, kc}, o.outputFile); err != nil {
			level.Error(logger).Log("msg", "cannot write the metrics file", "path", o.outputFile, "err", err, "fix", textfileFix(o.outputFile, err))
			return 1
		}
		return 0
	}
	if !o.noExporterMetrics {
		reg.MustRegister(collectors.NewGoCollector(), newProcessCollector())
	}
	reload := newReloader(logger, reg, func() error {
		r, err := loadRequirements(o.configFile, o.modules)
		if err == nil {
			current.Store(&r)
		}
		return err
	})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			reload.reload("SIGHUP")
		}
	}()

	mux := http.NewServeMux()
	mux.Handle(o.metricsPath, metricsHandler(reg, kc, o.maxRequests, o.timeoutOffset, logger))
	mux.Handle("/-/reload", lifecycle(o.enableLifecycle, reload))
	if o.metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "kmod exporter",
			Description: "Kernel module and firewall health",
			Version:     version.Info(),
			Links:       []web.LandingLinks{{Address: o.metricsPath, Text: "Metrics"}},
			// No pprof handlers are served, so no links to them.
			Profiling: "false",
		})
		if err != nil {
			level.Error(logger).Log("msg", "cannot build landing page", "err", err)
			return 1
		}
		mux.Handle("/", landing)
	}
	server := &http.Server{Handler: mux}
	// systemd hands a socket-activated service its socket: use it without
	// --web.systemd-socket, so the one shipped unit serves both ways.
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) && os.Getenv("LISTEN_FDS") != "" {
		activated := true
		o.web.WebSystemdSocket = &activated
	}
	if err := web.ListenAndServe(server, o.web, slogger); err != nil && !errors.Is(err, http.ErrServerClosed) {
		level.Error(logger).Log("msg", "server stopped", "err", err)
		return 1
	}
	return 0
}

// describeHost says plainly at start what kind of kernel this is, so a user
// on a kernel without module support is not left wondering.
func describeHost(logger log.Logger, host *kmod.Host) {
	view := host.View()
	defer view.Release()
	k, err := view.Kernel()
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
		data, rerr := readConfigFile(configFile)
		if rerr != nil {
			return reqs, fmt.Errorf("--config.file: %w", rerr)
		}
		if cfg, err = kmod.ParseConfig(data); err != nil {
			var ce *kmod.ConfigError
			if errors.As(err, &ce) {
				ce.File = configFile
				return reqs, ce
			}
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

// textfileFix says how to make the textfile directory writable, since the
// usual failure is Debian's directory, root:root 0755, and a service user
// that is not root.
func textfileFix(path string, err error) string {
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "the directory " + dir + " does not exist: install node_exporter (Debian: prometheus-node-exporter) or give --output.file the directory of its --collector.textfile.directory"
	case errors.Is(err, fs.ErrPermission):
		return "this user (uid " + strconv.Itoa(os.Getuid()) + ") cannot create files in " + dir + ": run as the directory's owner (Debian ships it root:root 0755, and deploy/systemd/kmod_exporter-textfile.service runs as root without capabilities for that), or make it group-writable for this user (chgrp GROUP " + dir + " && chmod g+w " + dir + ")"
	}
	return "check that " + dir + " is writable and not full"
}

// hasCapabilities says whether this process holds any capability. Root
// without any (the textfile unit, which runs as root only to own Debian's
// textfile directory) can do no more than the files' owner bits allow, so
// it is not warned about.
func hasCapabilities() bool {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strings.Trim(strings.TrimSpace(v), "0") != ""
		}
	}
	return true
}

// maxConfigBytes bounds --config.file: a real one is a few hundred bytes,
// and a huge one must not take the process past its memory limit.
const maxConfigBytes = 1 << 20

func readConfigFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxConfigBytes)
	}
	return data, nil
}
