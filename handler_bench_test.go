package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-kit/log"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/kmod-exporter/kmod_exporter/collector"
	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// benchHandler is the exporter's /metrics handler, built as main builds it,
// on the amd64 tree with 50 modules required and loaded.
func benchHandler(b *testing.B) http.Handler {
	h := testenv.NewKernelHost(b, testenv.Release(b, "amd64"), 50)
	var reqs []collector.Requirement
	for _, m := range h.Required {
		reqs = append(reqs, collector.Requirement{Name: m, Source: "flag"})
	}
	kc, err := collector.New(collector.Options{
		Host: kmod.NewHost(kmod.Paths{Proc: h.Proc, Sys: h.Sys, Root: h.Root}),
		Requirements: func() collector.Requirements {
			return collector.Requirements{Modules: reqs, Rulesets: kmod.RulesetPaths(kmod.DefaultRulesets...)}
		},
	}, log.NewNopLogger(), collector.Names()...)
	if err != nil {
		b.Fatal(err)
	}
	reg := newStaticGatherer()
	reg.MustRegister(append(selfCollectors(), versioncollector.NewCollector(exporterName))...)
	return metricsHandler(reg, kc, 40, 0, log.NewNopLogger())
}

// discard is a ResponseWriter that keeps nothing.
type discard struct {
	h http.Header
	n int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkHandler is one scrape through the handler, in process: what the
// exporter's CPU does for an HTTP scrape, less the network; it reports the
// bytes sent per scrape, gzip and plain.
func BenchmarkHandler(b *testing.B) {
	h := benchHandler(b)
	for _, enc := range []string{"gzip", "identity"} {
		b.Run(enc, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Accept-Encoding", enc)
			b.ReportAllocs()
			var d *discard
			for b.Loop() {
				d = &discard{h: http.Header{}}
				h.ServeHTTP(d, req)
			}
			b.ReportMetric(float64(d.n), "bytes/scrape")
		})
	}
}
