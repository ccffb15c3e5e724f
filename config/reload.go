package config

import (
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
)

// Reloader re-reads the configuration on SIGHUP and POST /-/reload. An
// invalid configuration keeps the one in force.
type Reloader struct {
	mu      sync.Mutex
	logger  log.Logger
	load    func() error
	success prometheus.Gauge
	when    prometheus.Gauge
}

// NewReloader registers the reload metrics on reg; load reads the
// configuration and, only if it is valid, puts it in force.
func NewReloader(logger log.Logger, reg prometheus.Registerer, load func() error) *Reloader {
	r := &Reloader{
		logger: logger,
		load:   load,
		success: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kmod_config_last_reload_successful",
			Help: "1 if the last configuration reload succeeded; 0 if it failed and the previous configuration is still in force."}),
		when: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kmod_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully, as a Unix timestamp."}),
	}
	r.success.Set(1)
	r.when.SetToCurrentTime()
	reg.MustRegister(r.success, r.when)
	return r
}

// Reload loads the configuration again; trigger ("SIGHUP", "http") is
// logged with the outcome.
func (r *Reloader) Reload(trigger string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(); err != nil {
		r.success.Set(0)
		level.Error(r.logger).Log("msg", "configuration reload failed; the previous configuration stays in force", "trigger", trigger, "err", err)
		return err
	}
	r.success.Set(1)
	r.when.SetToCurrentTime()
	level.Info(r.logger).Log("msg", "configuration reloaded", "trigger", trigger)
	return nil
}

// ReloadOnSIGHUP reloads at every SIGHUP (systemctl reload sends one),
// for the life of the process.
func (r *Reloader) ReloadOnSIGHUP() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			r.Reload("SIGHUP")
		}
	}()
}

// ServeHTTP is POST (or PUT) /-/reload, as in Prometheus.
func (r *Reloader) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost && req.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "reload with POST", http.StatusMethodNotAllowed)
		return
	}
	if err := r.Reload("http"); err != nil {
		http.Error(w, "reload failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Write([]byte("configuration reloaded\n"))
}

// Lifecycle answers /-/reload only with --web.enable-lifecycle, as
// Prometheus does: an HTTP reload is a write any client on the port could
// otherwise make.
func Lifecycle(enabled bool, next http.Handler) http.Handler {
	if enabled {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Lifecycle API is not enabled: start kmod_exporter with --web.enable-lifecycle, or reload with SIGHUP (systemctl reload kmod_exporter).", http.StatusForbidden)
	})
}
