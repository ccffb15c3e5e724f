package main

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kmod-exporter/kmod_exporter/collector"
)

// minScrapeBudget keeps a tiny or negative budget (timeout below the
// offset) from failing every collector.
const minScrapeBudget = 100 * time.Millisecond

// metricsHandler serves a scrape: the static metrics (build info, Go and
// process, reloads) and the collectors, bounded by Prometheus' scrape
// timeout (X-Prometheus-Scrape-Timeout-Seconds) less offset, so a slow
// collector costs its own metrics, not the whole scrape. At most
// maxRequests scrapes run at once; beyond that the answer is 503.
func metricsHandler(static prometheus.Gatherer, kc *collector.KmodCollector, maxRequests int, offset time.Duration, logger log.Logger) http.Handler {
	var inFlight chan struct{}
	if maxRequests > 0 {
		inFlight = make(chan struct{}, maxRequests)
	}
	opts := promhttp.HandlerOpts{ErrorLog: stdLogger{logger}, ErrorHandling: promhttp.ContinueOnError}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(w, fmt.Sprintf("limit of %d concurrent scrapes reached, try again later", maxRequests), http.StatusServiceUnavailable)
				return
			}
		}
		var deadline time.Time
		if secs, err := strconv.ParseFloat(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), 64); err == nil && secs > 0 {
			budget := max(time.Duration(secs*float64(time.Second))-offset, minScrapeBudget)
			deadline = time.Now().Add(budget)
		}
		scrape := prometheus.NewRegistry()
		scrape.MustRegister(kc.Within(deadline))
		promhttp.HandlerFor(prometheus.Gatherers{static, scrape}, opts).ServeHTTP(w, r)
	})
}
