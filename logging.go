package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	sloggokit "github.com/tjhop/slog-gokit"
)

// newLogger builds the go-kit logger every line goes through, and a
// *slog.Logger for libraries that want one (exporter-toolkit), bridged to
// the same writer so that every line has one format: level, ts, caller, msg.
func newLogger(w io.Writer, format, lvl string) (log.Logger, *slog.Logger) {
	var base log.Logger
	if format == "json" {
		base = log.NewJSONLogger(log.NewSyncWriter(w))
	} else {
		base = log.NewLogfmtLogger(log.NewSyncWriter(w))
	}
	var (
		opt  level.Option
		slvl slog.Level
	)
	switch lvl {
	case "debug":
		opt, slvl = level.AllowDebug(), slog.LevelDebug
	case "warn":
		opt, slvl = level.AllowWarn(), slog.LevelWarn
	case "error":
		opt, slvl = level.AllowError(), slog.LevelError
	default:
		opt, slvl = level.AllowInfo(), slog.LevelInfo
	}
	// The level filter comes first, so a line it drops costs nothing more:
	// behind it, the time and the caller (runtime.Caller) were worked out
	// for every debug line of every scrape, and dropped after.
	return level.NewFilter(stamped{base}, opt), slog.New(sloggokit.NewGoKitHandler(slogAdapter{base}, slvl))
}

// stamped writes a line as level, ts, caller, then the rest, the one order
// of every line.
type stamped struct{ next log.Logger }

// callerDepth reaches the line that logged from inside stamped.Log: the
// level filter's Log, then the context every line is logged through
// (level.Info(logger), log.With(logger, …)), which go-kit flattens into
// one.
const callerDepth = 4

func (s stamped) Log(kv ...any) error {
	out := make([]any, 0, len(kv)+6)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == level.Key() {
			out = append(out, kv[i], kv[i+1])
			kv = append(kv[:i:i], kv[i+2:]...)
			break
		}
	}
	out = append(out, "ts", time.Now().UTC().Format(time.RFC3339Nano), "caller", log.Caller(callerDepth)())
	return s.next.Log(append(out, kv...)...)
}

// slogAdapter puts slog-gokit's "level, caller, time" pairs into this
// exporter's "level, ts, caller" order, with the time in the same form.
type slogAdapter struct{ next log.Logger }

func (a slogAdapter) Log(kv ...any) error {
	out := make([]any, 0, len(kv))
	var lvl, ts, caller []any
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case slog.LevelKey, level.Key():
			lvl = kv[i : i+2]
		case slog.TimeKey:
			t, ok := kv[i+1].(time.Time)
			if !ok {
				t = time.Now()
			}
			ts = []any{"ts", t.UTC().Format(time.RFC3339Nano)}
		case "caller":
			caller = kv[i : i+2]
		default:
			out = append(out, kv[i], kv[i+1])
		}
	}
	head := append(append(append([]any{}, lvl...), ts...), caller...)
	return a.next.Log(append(head, out...)...)
}

// stdLogger adapts go-kit to promhttp's error logger.
type stdLogger struct{ logger log.Logger }

func (l stdLogger) Println(v ...any) {
	level.Error(l.logger).Log("msg", fmt.Sprint(v...))
}
