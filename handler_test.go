package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kmod-exporter/kmod_exporter/collector"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

type blockingCollector struct{ release chan struct{} }

func (b blockingCollector) Update(*kmod.View, *collector.Sink) error { <-b.release; return nil }

type quickCollector struct{}

var quickDesc = collector.NewDesc("kmod_test_quick", "A collector that answers at once.")

func (quickCollector) Update(_ *kmod.View, out *collector.Sink) error {
	out.Add(quickDesc, 1)
	return nil
}

// TestScrapeTimeoutHeader: Prometheus' scrape timeout, less the offset,
// bounds the scrape; the slow collector is reported, the rest served.
func TestScrapeTimeoutHeader(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	kc := collector.NewFromCollectors(nil, map[string]collector.Collector{"slow": blockingCollector{release}, "quick": quickCollector{}}, log.NewNopLogger())
	h := metricsHandler(prometheus.NewRegistry(), kc, 0, 500*time.Millisecond, log.NewNopLogger())
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "1.5")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	// The slow collector blocks until the test ends: answering at all, after
	// the 1 s budget (1.5 s less 0.5 s), shows the deadline at work.
	if resp.StatusCode != 200 || elapsed < 900*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("status %d after %v; want 200 after about 1 s (1.5 s less 0.5 s)", resp.StatusCode, elapsed)
	}
	for _, want := range []string{`kmod_scrape_collector_success{collector="slow"} 0`, `kmod_scrape_collector_success{collector="quick"} 1`, "kmod_test_quick 1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %q", want)
		}
	}
}
