package main

import (
	"bytes"
	stdlog "log"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// The standard log package (systray's) and slog share one handler after
// installLogger: the same text format, std log lines as warnings.
func TestInstallLogger(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() {
		slog.SetDefault(old)
		stdlog.SetOutput(os.Stderr)
		stdlog.SetFlags(stdlog.LstdFlags)
	})
	var buf bytes.Buffer
	installLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	stdlog.Printf("systray error: failed to register: %v\n", "no watcher")
	slog.Info("from slog", "k", 1)
	slog.Debug("hidden")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines %q, want 2", lines)
	}
	if !strings.HasPrefix(lines[0], "time=") || !strings.Contains(lines[0], `level=WARN msg="systray error: failed to register: no watcher" source=log`) {
		t.Errorf("std log line %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "time=") || !strings.Contains(lines[1], `level=INFO msg="from slog" k=1`) {
		t.Errorf("slog line %q", lines[1])
	}
}

func TestLogLevel(t *testing.T) {
	for v, want := range map[string]slog.Level{"": slog.LevelWarn, "DEBUG": slog.LevelDebug, "info": slog.LevelInfo, "error": slog.LevelError, "loud": slog.LevelWarn} {
		if got := logLevel(v); got != want {
			t.Errorf("logLevel(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain résumé ×3":      "plain résumé ×3",
		"\x1b]0;t\x07\x1b[31m": `\x1b]0;t\x07\x1b[31m`,
		"a\u009bb\u202ec\x7f":  `a\u009bb\u202ec\x7f`,
		"bad\xffutf8\xc3":      `bad\xffutf8\xc3`,
		"tab\there\nnewline":   `tab\x09here\x0anewline`,
	} {
		if got := safeText(in); got != want {
			t.Errorf("safeText(%q) = %q, want %q", in, got, want)
		}
	}
}
