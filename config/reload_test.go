package config

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
)

// TestReloader: a failed load sets kmod_config_last_reload_successful to 0
// and answers 500; a good one sets it back to 1; GET is refused.
func TestReloader(t *testing.T) {
	reg := prometheus.NewRegistry()
	var fail error
	loads := 0
	r := NewReloader(log.NewNopLogger(), reg, func() error { loads++; return fail })
	post := func(method string) int {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(method, "/-/reload", nil))
		return w.Code
	}
	value := func() float64 {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "kmod_config_last_reload_successful" {
				return f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("kmod_config_last_reload_successful not registered")
		return -1
	}
	if v := value(); v != 1 {
		t.Errorf("at start: %v, want 1", v)
	}
	fail = errors.New("bad")
	if code := post(http.MethodPost); code != http.StatusInternalServerError || value() != 0 {
		t.Errorf("failed reload: %d, successful %v", code, value())
	}
	fail = nil
	if code := post(http.MethodPut); code != http.StatusOK || value() != 1 {
		t.Errorf("reload: %d, successful %v", code, value())
	}
	if code := post(http.MethodGet); code != http.StatusMethodNotAllowed || loads != 2 {
		t.Errorf("GET: %d after %d loads, want 405 and no load", code, loads)
	}
}

// TestLifecycle: without --web.enable-lifecycle the reload handler is not
// reached and the answer names the flag.
func TestLifecycle(t *testing.T) {
	reached := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })
	w := httptest.NewRecorder()
	Lifecycle(false, next).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/-/reload", nil))
	if w.Code != http.StatusForbidden || reached || !strings.Contains(w.Body.String(), "--web.enable-lifecycle") {
		t.Errorf("disabled: %d %q, handler reached %v", w.Code, w.Body, reached)
	}
	Lifecycle(true, next).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/-/reload", nil))
	if !reached {
		t.Error("enabled: the reload handler was not reached")
	}
}
