package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/kmod-exporter/kmod_exporter/collector"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// fixtureFamilies is one gathering of the healthy fixture and of a registry
// with a counter, a gauge vector and a histogram, merged as the exporter
// serves them.
func fixtureFamilies(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	d := "fixtures/healthy"
	kc, err := collector.New(collector.Options{
		Host: kmod.NewHost(kmod.Paths{Proc: d + "/proc", Sys: d + "/sys", Root: d + "/root"}),
		Requirements: func() collector.Requirements {
			return collector.Requirements{Modules: []collector.Requirement{{Name: "nf_conntrack", Source: "flag"}, {Name: "xt_recent", Source: "flag"}}}
		},
	}, log.NewNopLogger(), collector.Names()...)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_events_total", Help: "Events."})
	c.Add(3)
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "test_temperature", Help: "With \"quotes\" and \\ and\nnewline."}, []string{"room"})
	g.WithLabelValues("kitchen \"a\"\n").Set(21.5)
	g.WithLabelValues("hall").Set(-1e-9)
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "test_latency_seconds", Help: "Latency.", Buckets: []float64{0.1, 1}})
	hist.Observe(0.5)
	reg.MustRegister(c, g, hist)
	families, err := merged{reg, kc}.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// The Accept headers a scraper may send: Prometheus 3's default, its
// protobuf-first one (native histograms), each format alone, and none.
var acceptHeaders = []string{
	"",
	"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
	"application/openmetrics-text;version=1.0.0",
	"application/openmetrics-text;version=0.0.1",
	"text/plain;version=0.0.4",
	"text/plain;version=1.0.0;escaping=allow-utf-8",
	"text/plain;version=0.0.4;escaping=dots",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text",
	"application/json",
}

func serve(h http.Handler, url, accept, encoding string) *http.Response {
	req := httptest.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func decoded(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	body := io.Reader(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestExpositionMatchesPromhttp: for every format a scraper can ask for,
// gzipped or not, the handler answers with the content type and bytes
// promhttp.HandlerFor gives for the same families, on the first scrape
// (nothing kept), the second (encodings kept) and the third (kept ones
// reused), and after a family changed.
func TestExpositionMatchesPromhttp(t *testing.T) {
	families := fixtureFamilies(t)
	var current atomic.Pointer[[]*dto.MetricFamily]
	current.Store(&families)
	static := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return *current.Load(), nil })
	empty := collector.NewFromCollectors(nil, nil, log.NewNopLogger())
	reference := promhttp.HandlerFor(static, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, DisableCompression: true})
	check := func(t *testing.T, h http.Handler, url string) {
		t.Helper()
		for _, accept := range acceptHeaders {
			want := serve(reference, url, accept, "")
			wantBody := decoded(t, want)
			for _, enc := range []string{"", "gzip", "gzip;q=0"} {
				got := serve(h, url, accept, enc)
				gotBody := decoded(t, got)
				if got.StatusCode != 200 || got.Header.Get("Content-Type") != want.Header.Get("Content-Type") {
					t.Errorf("Accept %q, Accept-Encoding %q: %d %q, want 200 %q", accept, enc, got.StatusCode, got.Header.Get("Content-Type"), want.Header.Get("Content-Type"))
				}
				if wantEnc := map[string]string{"gzip": "gzip"}[enc]; got.Header.Get("Content-Encoding") != wantEnc {
					t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got.Header.Get("Content-Encoding"))
				}
				if fmt.Sprint(got.Header.Values("Vary")) != "[Accept-Encoding Accept]" {
					t.Errorf("Vary %q", got.Header.Values("Vary"))
				}
				if !bytes.Equal(gotBody, wantBody) {
					t.Errorf("Accept %q, Accept-Encoding %q: body differs from promhttp's:\n%s\n--- want\n%s", accept, enc, gotBody, wantBody)
				}
			}
		}
	}
	h := metricsHandler(static, empty, 0, 0, log.NewNopLogger())
	for i := range 3 {
		t.Run(fmt.Sprint("scrape ", i+1), func(t *testing.T) { check(t, h, "/metrics") })
	}
	// One family replaced (as the collectors do when a value changes): the
	// answer follows.
	changed := append([]*dto.MetricFamily(nil), families...)
	for i, f := range changed {
		if f.GetName() == "kmod_module_loaded" {
			c := &dto.MetricFamily{Name: f.Name, Help: f.Help, Type: f.Type, Metric: []*dto.Metric{{Label: f.Metric[0].Label, Gauge: &dto.Gauge{Value: new(float64)}}}}
			changed[i] = c
		}
	}
	current.Store(&changed)
	t.Run("changed", func(t *testing.T) {
		check(t, h, "/metrics")
		if body := decoded(t, serve(h, "/metrics", "", "gzip")); !bytes.Contains(body, []byte(`kmod_module_loaded{module="nf_conntrack"} 0`)) {
			t.Errorf("the changed family is not served:\n%s", body)
		}
	})
	t.Run("name filter", func(t *testing.T) {
		check(t, h, "/metrics?name[]=test_events_total&name[]=kmod_module_loaded")
	})
}

// TestScrapesShareFreshReads: scrapes that arrive while the host is being
// read wait for the next reading and share it; none is answered from a
// reading begun before it arrived.
func TestScrapesShareFreshReads(t *testing.T) {
	var (
		mu     sync.Mutex
		starts []time.Time
	)
	desc := prometheus.NewDesc("test_reading", "The reading's number.", nil, nil)
	static := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mu.Lock()
		n := len(starts)
		starts = append(starts, time.Now())
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		m := prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n))
		var out dto.Metric
		if err := m.Write(&out); err != nil {
			t.Fatal(err)
		}
		return []*dto.MetricFamily{{Name: new("test_reading"), Help: new("The reading's number."), Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{&out}}}, nil
	})
	h := metricsHandler(static, collector.NewFromCollectors(nil, nil, log.NewNopLogger()), 0, 0, log.NewNopLogger())
	var wg sync.WaitGroup
	const clients = 10
	for range clients {
		wg.Go(func() {
			for range 5 {
				arrived := time.Now()
				body := string(decoded(t, serve(h, "/metrics", "", "gzip")))
				var n int
				if _, err := fmt.Sscanf(body[len("# HELP test_reading The reading's number.\n# TYPE test_reading gauge\n"):], "test_reading %d", &n); err != nil {
					t.Errorf("%v: %q", err, body)
					return
				}
				mu.Lock()
				start := starts[n]
				mu.Unlock()
				if start.Before(arrived) {
					t.Errorf("answered from reading %d, begun %v before the scrape arrived", n, arrived.Sub(start))
				}
			}
		})
	}
	wg.Wait()
	if len(starts) >= clients*5 {
		t.Errorf("%d readings for %d scrapes: none shared", len(starts), clients*5)
	}
}
