package main

import (
	"bytes"
	"fmt"
	"regexp"
	"runtime"
	"testing"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// thisLine is the file:line of its caller.
func thisLine() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", regexp.MustCompile(`[^/]*$`).FindString(file), line+1)
}

// Every line names the line that logged it, in both formats, whether it
// was logged through a level alone or a logger with fields of its own.
func TestLogCallerIsTheLogLine(t *testing.T) {
	for _, format := range []string{"logfmt", "json"} {
		var buf bytes.Buffer
		logger, _ := newLogger(&buf, format, "debug")
		want := thisLine()
		level.Info(logger).Log("msg", "one")
		want2 := thisLine()
		level.Debug(log.With(logger, "collector", "x")).Log("msg", "two")
		for _, w := range []string{want, want2} {
			if !bytes.Contains(buf.Bytes(), []byte(w)) {
				t.Errorf("%s: no caller %s in:\n%s", format, w, buf.String())
			}
		}
	}
}

// A line below the level is dropped before its time and caller are worked
// out: a scrape logs a debug line per collector.
func TestLogBelowLevelCostsNothing(t *testing.T) {
	var buf bytes.Buffer
	logger, _ := newLogger(&buf, "logfmt", "warn")
	allocs := testing.AllocsPerRun(100, func() {
		level.Debug(logger).Log("msg", "collector succeeded", "collector", "modules")
	})
	if buf.Len() != 0 {
		t.Fatalf("a debug line was written at level warn: %s", buf.String())
	}
	// The level's prefix context and the line's fields; with the time and
	// the caller worked out first, it was nine.
	if allocs > 4 {
		t.Errorf("%v allocations for a dropped line", allocs)
	}
	level.Warn(logger).Log("msg", "kept")
	if !regexp.MustCompile(`^level=warn ts=\S+ caller=logging_test.go:\d+ msg=kept\n$`).Match(buf.Bytes()) {
		t.Errorf("warn line: %q", buf.String())
	}
}
