// Package watch reports when model files change on disk, however they are
// rewritten, debounced so one save is one event.
package watch

import (
	"context"
	"log/slog"
	"time"
)

// Options configure a Watcher.
type Options struct {
	// Debounce is how long a file must be quiet before its change is
	// reported; 0 means the package default.
	Debounce time.Duration
	// Poll, when non-zero, also polls every watched file at this interval
	// (for filesystems where events do not arrive). Off by default.
	Poll   time.Duration
	Logger *slog.Logger
}

// Event says that a watched model changed.
type Event struct {
	// Key is the key given to Add.
	Key string
	// Files are the changed files among those given to Add.
	Files []string
	// Gone is set when the main file no longer exists (it may come back,
	// which is reported as another Event).
	Gone bool
}

// Watcher watches groups of files, each group under a key (one model and
// its companion files). One Watcher serves the whole app.
//
// PLACEHOLDER API: the implementation lands with the watch issue.
type Watcher struct {
	events chan Event
	errs   chan error
}

// New returns a Watcher; call Run to start it.
func New(opts Options) (*Watcher, error) {
	return &Watcher{events: make(chan Event), errs: make(chan error)}, nil
}

// Run watches until ctx is done, then releases every OS resource and
// returns nil (or the error that stopped it).
func (w *Watcher) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Add watches files (the first is the main file) under key, replacing any
// files watched under key before.
func (w *Watcher) Add(key string, files []string) error { return nil }

// Remove stops watching key.
func (w *Watcher) Remove(key string) {}

// Events delivers changes. It is never closed; select on it with your ctx.
func (w *Watcher) Events() <-chan Event { return w.events }

// Errors delivers watcher errors (inotify limits, a watch that failed).
func (w *Watcher) Errors() <-chan error { return w.errs }
