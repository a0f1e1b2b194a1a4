package main

import (
	"bytes"
	"context"
	"io"
	stdlog "log"
	"log/slog"
	"os"
	"strings"
	"time"
)

// newLogger returns the one logger of a run: text lines on stderr, at
// warning level unless MODELPEEK_LOG says debug or info.
func newLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("MODELPEEK_LOG"))}))
}

// logLevel reads MODELPEEK_LOG: debug, info, warn or error (any case);
// anything else means warn.
func logLevel(v string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug":
		return slog.LevelDebug
	case "info":
		return slog.LevelInfo
	case "error":
		return slog.LevelError
	}
	return slog.LevelWarn
}

// installLogger makes log the process's only log output: slog's default
// and the standard log package (which fyne.io/systray writes to) both go
// through its handler, so no line on stderr has another format. Called
// once, from main; packages get the logger passed down.
func installLogger(log *slog.Logger) {
	slog.SetDefault(log)
	// After SetDefault, the log package writes through slog at Info; the
	// libraries that use it (systray) only report failures, so their
	// lines are warnings.
	stdlog.SetFlags(0)
	stdlog.SetOutput(stdlogWriter{h: log.Handler()})
}

// stdlogWriter turns each line the standard log package writes into a
// warning record of h, marked source=log.
type stdlogWriter struct{ h slog.Handler }

func (w stdlogWriter) Write(p []byte) (int, error) {
	ctx := context.Background()
	if !w.h.Enabled(ctx, slog.LevelWarn) {
		return len(p), nil
	}
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		msg := strings.TrimSpace(string(line))
		if msg == "" {
			continue
		}
		r := slog.NewRecord(time.Now(), slog.LevelWarn, msg, 0)
		r.AddAttrs(slog.String("source", "log"))
		if err := w.h.Handle(ctx, r); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
