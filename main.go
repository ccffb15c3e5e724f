// Command kmod_exporter tells whether the kernel modules a host's firewall
// needs are loaded and, if not, which documented cause holds.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/kmod-exporter/kmod_exporter/check"
	"github.com/kmod-exporter/kmod_exporter/collector"
	"github.com/kmod-exporter/kmod_exporter/config"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// defaultPort is not in Prometheus' default port allocations (see docs/port.md).
const defaultPort = "10473"

const exporterName = "kmod_exporter"

func main() {
	os.Exit(run(os.Args[1:]))
}

// run wires flags → configuration → host, then hands over to check or
// serve. It returns the exit status.
func run(args []string) int {
	o, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", exporterName, err)
		return 2
	}
	logger, slogger := newLogger(os.Stderr, o.logFormat, o.logLevel)
	if o.maxProcs > 0 {
		// One by default, as node_exporter: a scrape is a short chain of
		// reads and its answer, and on two threads the runtime spent a
		// quarter of the CPU handing goroutines and processors between
		// them when several clients scraped at once (docs/benchmarks.md).
		runtime.GOMAXPROCS(o.maxProcs)
	}
	level.Debug(logger).Log("msg", "Go MAXPROCS", "procs", runtime.GOMAXPROCS(0))
	reqs, err := config.Load(o.configFile, o.modules)
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
	if o.checkCommand {
		view := host.View()
		defer view.Release()
		return check.Run(os.Stdout, view, reqs, check.Options{Format: o.checkFormat, Color: o.checkColor})
	}
	return runExporter(o, host, reqs, logger, slogger)
}

// runExporter builds the collectors over host and either writes one scrape to
// --output.file or serves metrics over HTTP until the server stops.
func runExporter(o options, host *kmod.Host, reqs kmod.RequirementSpec, logger log.Logger, slogger *slog.Logger) int {
	logStart(logger, host)
	// A reload swaps the whole spec, so a scrape sees one configuration.
	var current atomic.Pointer[kmod.RequirementSpec]
	current.Store(&reqs)
	kc, err := collector.New(collector.Options{Host: host, Requirements: func() collector.Requirements { return *current.Load() }}, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot build collectors", "err", err)
		return 2
	}
	reg := newStaticGatherer()
	reg.MustRegister(versioncollector.NewCollector(exporterName))
	if o.outputFile != "" {
		if err := writeTextfile(merged{reg, kc}, o.outputFile); err != nil {
			level.Error(logger).Log("msg", "cannot write the metrics file", "path", o.outputFile, "err", err, "fix", textfileFix(o.outputFile, err))
			return 1
		}
		return 0
	}
	if !o.noExporterMetrics {
		reg.MustRegister(selfCollectors()...)
	}
	reload := config.NewReloader(logger, reg, func() error {
		r, err := config.Load(o.configFile, o.modules)
		if err == nil {
			current.Store(&r)
		}
		return err
	})
	reload.ReloadOnSIGHUP()
	mux, err := newMux(o, reg, kc, reload, logger)
	if err != nil {
		level.Error(logger).Log("msg", "cannot build landing page", "err", err)
		return 1
	}
	return listen(&http.Server{Handler: mux}, o.web, logger, slogger)
}

// newMux routes the metrics path, /-/reload and, unless metrics are served
// at /, the landing page.
func newMux(o options, reg prometheus.Gatherer, kc *collector.KmodCollector, reload *config.Reloader, logger log.Logger) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	mux.Handle(o.metricsPath, metricsHandler(reg, kc, o.maxRequests, o.timeoutOffset, logger))
	mux.Handle("/-/reload", config.Lifecycle(o.enableLifecycle, reload))
	if o.metricsPath == "/" {
		return mux, nil
	}
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "kmod exporter",
		Description: "Kernel module and firewall health",
		Version:     version.Info(),
		Links:       []web.LandingLinks{{Address: o.metricsPath, Text: "Metrics"}},
		// No pprof handlers are served, so no links to them.
		Profiling: "false",
	})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", landing)
	return mux, nil
}

// listen serves until the server stops; it returns the exit status.
func listen(server *http.Server, flags *web.FlagConfig, logger log.Logger, slogger *slog.Logger) int {
	// systemd hands a socket-activated service its socket: use it without
	// --web.systemd-socket, so the one shipped unit serves both ways.
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) && os.Getenv("LISTEN_FDS") != "" {
		activated := true
		flags.WebSystemdSocket = &activated
	}
	if err := web.ListenAndServe(server, flags, slogger); err != nil && !errors.Is(err, http.ErrServerClosed) {
		level.Error(logger).Log("msg", "server stopped", "err", err)
		return 1
	}
	return 0
}
