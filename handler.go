package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

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
		promhttp.HandlerFor(merged{static, kc.Within(deadline)}, opts).ServeHTTP(w, r)
	})
}

// merged serves the static families and one scrape's collector families,
// each list sorted by name. Their names never meet (the static ones are
// kmod_exporter_*, go_*, process_* and promhttp_*), so the lists are merged
// in order without prometheus.Gatherers' per-series checks, which would
// cost as much as the scrape itself; should a name meet, Gatherers merges
// and checks them.
type merged struct{ static, scrape prometheus.Gatherer }

func (m merged) Gather() ([]*dto.MetricFamily, error) {
	a, errA := m.static.Gather()
	b, errB := m.scrape.Gather()
	out := make([]*dto.MetricFamily, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch strings.Compare(a[i].GetName(), b[j].GetName()) {
		case -1:
			out = append(out, a[i])
			i++
		case 1:
			out = append(out, b[j])
			j++
		default:
			fixed := func(f []*dto.MetricFamily, err error) prometheus.Gatherer {
				return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return f, err })
			}
			return prometheus.Gatherers{fixed(a, errA), fixed(b, errB)}.Gather()
		}
	}
	out = append(append(out, a[i:]...), b[j:]...)
	return out, errors.Join(errA, errB)
}
