package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

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
	if err != nil {
		t.Fatal(err)
	}
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

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true, "*": true, "x-gzip": true, "br, gzip ; q=1.0": true,
		"": false, "identity": false, "gzip;q=0": false, "gzip; q=0.000": false, "deflate, br": false, "gzipx": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// The scrape is compressed when the client asks for gzip, and is the same
// scrape once decompressed; a plain-text error is not compressed.
func TestGzipAnswers(t *testing.T) {
	kc := collector.NewFromCollectors(nil, map[string]collector.Collector{"quick": quickCollector{}}, log.NewNopLogger())
	h := metricsHandler(prometheus.NewRegistry(), kc, 0, 0, log.NewNopLogger())
	get := func(h http.Handler, encoding string) (*http.Response, string) {
		t.Helper()
		req := httptest.NewRequest("GET", "/metrics", nil)
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()
		return resp, string(decoded(t, resp))
	}
	plain, plainBody := get(h, "")
	zipped, zippedBody := get(h, "gzip")
	refused, _ := get(h, "gzip;q=0")
	if plain.Header.Get("Content-Encoding") != "" || refused.Header.Get("Content-Encoding") != "" || zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("Content-Encoding: plain %q, refused %q, gzip %q", plain.Header.Get("Content-Encoding"), refused.Header.Get("Content-Encoding"), zipped.Header.Get("Content-Encoding"))
	}
	if !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary: %q", zipped.Header.Get("Vary"))
	}
	if !strings.Contains(zippedBody, "kmod_test_quick 1") || !strings.Contains(plainBody, "kmod_test_quick 1") {
		t.Errorf("bodies:\n%s\n---\n%s", plainBody, zippedBody)
	}
	// Nothing gathered and an error: promhttp answers 500 in plain text.
	broken := metricsHandler(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return nil, errors.New("broken") }),
		collector.NewFromCollectors(nil, nil, log.NewNopLogger()), 0, 0, log.NewNopLogger())
	resp, body := get(broken, "gzip")
	if resp.StatusCode != 500 || resp.Header.Get("Content-Encoding") != "" || !strings.Contains(body, "broken") {
		t.Errorf("error answer: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), body)
	}
}

// TestStableFamiliesCompressedLate: a family is sent stored until it has
// stayed unchanged for deflateAfter, then compressed, and every answer
// decodes to the same exposition.
func TestStableFamiliesCompressedLate(t *testing.T) {
	// 200 series of one family: about 8 KB of text that compresses well.
	big := func(first float64) *dto.MetricFamily {
		f := &dto.MetricFamily{Name: new("kmod_test_big"), Help: new("Many series."), Type: dto.MetricType_GAUGE.Enum()}
		for i := range 200 {
			f.Metric = append(f.Metric, &dto.Metric{
				Label: []*dto.LabelPair{{Name: new("module"), Value: new(fmt.Sprintf("nf_module_%03d", i))}},
				Gauge: &dto.Gauge{Value: new(float64(1))},
			})
		}
		f.Metric[0].Gauge.Value = new(first)
		return f
	}
	family := big(1)
	static := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return []*dto.MetricFamily{family}, nil })
	h := metricsHandler(static, collector.NewFromCollectors(nil, nil, log.NewNopLogger()), 0, 0, log.NewNopLogger()).(*scrapeHandler)
	var first string
	scrape := func(wantCompressed bool, when string) {
		t.Helper()
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		sent := rec.Body.Len()
		body := string(decoded(t, rec.Result()))
		if first == "" {
			first = body
		} else if body != first {
			t.Fatalf("%s: the answer differs from the first:\n%s", when, body)
		}
		if compressed := sent < len(body)/3; compressed != wantCompressed {
			t.Errorf("%s: %d bytes sent for %d of text, compressed %v", when, sent, len(body), compressed)
		}
	}
	// Until deflateAfter has passed since the family's first answer, it is
	// stored (an hour: however slow the machine).
	h.deflateAfter = time.Hour
	scrape(false, "first answer")
	for range 3 {
		scrape(false, "answers before deflateAfter")
	}
	h.deflateAfter = 50 * time.Millisecond
	time.Sleep(60 * time.Millisecond)
	scrape(true, "after deflateAfter unchanged")
	scrape(true, "the next")
	// A changed family starts again: stored.
	h.deflateAfter = time.Hour
	family = big(2)
	first = ""
	scrape(false, "a changed family")
	scrape(false, "the changed family's second answer")
}

// TestMemoryFreedOnceScrapesPause: the memory of the last scrapes is
// handed back once none came for idleAfter, once per pause, and never
// while scrapes keep coming.
func TestMemoryFreedOnceScrapesPause(t *testing.T) {
	h := metricsHandler(prometheus.NewRegistry(), collector.NewFromCollectors(nil, nil, log.NewNopLogger()), 0, 0, log.NewNopLogger()).(*scrapeHandler)
	var frees atomic.Int32
	h.idleAfter, h.freeMemory = 250*time.Millisecond, func() { frees.Add(1) }
	scrape := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			t.Fatalf("scrape: %d", rec.Code)
		}
	}
	// A burst: scrapes closer together than idleAfter.
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		scrape()
		time.Sleep(10 * time.Millisecond)
	}
	if n := frees.Load(); n != 0 {
		t.Errorf("memory freed %d times while scrapes kept coming", n)
	}
	time.Sleep(750 * time.Millisecond)
	if n := frees.Load(); n != 1 {
		t.Errorf("memory freed %d times after a pause, want once", n)
	}
	scrape()
	time.Sleep(750 * time.Millisecond)
	if n := frees.Load(); n != 2 {
		t.Errorf("memory freed %d times after a second pause, want twice", n)
	}
}
