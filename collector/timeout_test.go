package collector

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kmod-exporter/kmod_exporter/kmod"
)

// slowCollector blocks until released, like a read from a hung filesystem.
type slowCollector struct{ release chan struct{} }

func (s slowCollector) Update(*kmod.View, *Sink) error {
	<-s.release
	return errors.New("released")
}

// logBuffer keeps log lines for the test to read.
type logBuffer struct{ lines []string }

func (l *logBuffer) Log(kv ...any) error {
	l.lines = append(l.lines, fmt.Sprint(kv...))
	return nil
}

// A collector that does not finish by the deadline costs its own metrics
// only: the scrape returns on time with the others, and the log names the
// slow one.
func TestCollectWithinDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	logs := &logBuffer{}
	kc := NewFromCollectors(fixtureHost("../fixtures/healthy"), map[string]Collector{
		"slow":   slowCollector{release},
		"kernel": &kernelCollector{logger: log.NewNopLogger()},
	}, logs)
	start := time.Now()
	reg := kc.Within(time.Now().Add(200 * time.Millisecond))
	want := `
# HELP kmod_scrape_collector_success 1 if the collector read everything it needs from the host, 0 if part of it failed (the log says which file).
# TYPE kmod_scrape_collector_success gauge
kmod_scrape_collector_success{collector="kernel"} 1
kmod_scrape_collector_success{collector="slow"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "kmod_scrape_collector_success"); err != nil {
		t.Error(err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("the scrape waited %v for the slow collector", elapsed)
	}
	found := false
	for _, l := range logs.lines {
		found = found || strings.Contains(l, "slow") && strings.Contains(l, "scrape timeout")
	}
	if !found {
		t.Errorf("no log line names the slow collector: %q", logs.lines)
	}
}

// Collectors run one after another, but one that stalls does not hold up
// those after it: they are started beside it and answer in time.
func TestStalledCollectorDoesNotHoldUpTheRest(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	// "a-stuck" sorts first, so it runs before the kernel collector.
	kc := NewFromCollectors(fixtureHost("../fixtures/healthy"), map[string]Collector{
		"a-stuck": slowCollector{release},
		"kernel":  &kernelCollector{logger: log.NewNopLogger()},
	}, log.NewNopLogger())
	start := time.Now()
	want := `
# HELP kmod_scrape_collector_success 1 if the collector read everything it needs from the host, 0 if part of it failed (the log says which file).
# TYPE kmod_scrape_collector_success gauge
kmod_scrape_collector_success{collector="a-stuck"} 0
kmod_scrape_collector_success{collector="kernel"} 1
`
	if err := testutil.GatherAndCompare(kc.Within(time.Now().Add(time.Second)), strings.NewReader(want), "kmod_scrape_collector_success"); err != nil {
		t.Error(err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the scrape took %v", elapsed)
	}
}
