// Package watch reports when model files change on disk, however they are
// rewritten, debounced so one save is one event.
//
// It watches the directories that hold the files (never the files
// themselves), so every way programs save a file is seen: write to a
// temporary file and rename over the original, delete and recreate,
// truncate and rewrite in place, and chmod. A file reached through a
// symbolic link is followed: both the link's directory and the target's
// directory are watched, and the link is resolved again whenever it
// changes, so swapping the link to a new target is one event.
//
// A burst of changes is reported once, when every changed file of the
// group has been quiet for Options.Debounce and its size, modification
// time and identity no longer move; a multi-gigabyte export written in
// many chunks is therefore a single event after its last chunk. A burst
// that has lasted long waits longer (an eighth of its length, up to a
// second), so an exporter pausing between chunks is not reported
// half-written.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is the quiet period used when Options.Debounce is 0.
const DefaultDebounce = 100 * time.Millisecond

// maxQuiet caps the quiet period of a long burst (see group.quiet).
const maxQuiet = time.Second

// fallbackPoll is the polling interval used when the OS notification
// mechanism cannot be started at all and Options.Poll is 0.
const fallbackPoll = time.Second

// retryInterval is how often directories whose watch could not be set up
// (not there yet, limits reached) are tried again.
const retryInterval = time.Second

// errBuffer is the capacity of the Errors channel.
const errBuffer = 32

// Options configure a Watcher.
type Options struct {
	// Debounce is how long a file must be quiet before its change is
	// reported; 0 means DefaultDebounce.
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
// its companion files). One Watcher serves the whole app. Add and Remove
// may be called from any goroutine, before or while Run runs.
type Watcher struct {
	opts   Options
	log    *slog.Logger
	events chan Event
	errs   chan error

	// newNotifier creates the OS notifier (fsnotify.NewWatcher; replaced
	// in tests to simulate a system out of inotify instances).
	newNotifier func() (*fsnotify.Watcher, error)

	mu      sync.Mutex
	running bool
	fsw     *fsnotify.Watcher // nil when not running or unavailable
	groups  map[string]*group
	// byPath maps a cleaned absolute path (a file as given, or the target
	// it resolves to) to the files that have that path.
	byPath map[string][]*file
	// dirs are the directories currently wanted, with their watch state.
	dirs map[string]*dirWatch
	// out holds events waiting for the consumer, one per key at most.
	out []Event
	// wake tells the loop that Add or Remove changed the directories, so
	// it arms (or stops) the retry timer; capacity one, never blocks.
	wake chan struct{}
}

// New returns a Watcher; call Run to start it.
func New(opts Options) (*Watcher, error) {
	if opts.Debounce < 0 || opts.Poll < 0 {
		return nil, fmt.Errorf("watch: negative debounce (%v) or poll interval (%v)", opts.Debounce, opts.Poll)
	}
	if opts.Debounce == 0 {
		opts.Debounce = DefaultDebounce
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Watcher{
		opts:   opts,
		log:    log,
		events: make(chan Event),
		errs:   make(chan error, errBuffer),
		groups: make(map[string]*group),
		byPath: make(map[string][]*file),
		dirs:   make(map[string]*dirWatch),
		wake:   make(chan struct{}, 1),

		newNotifier: fsnotify.NewWatcher,
	}, nil
}

// Add watches files (the first is the main file) under key, replacing any
// files watched under key before. Relative paths are made absolute. The
// files do not need to exist yet. An error setting up an OS watch (for
// example the inotify watch limit) is returned and also sent on Errors;
// the key stays registered and the watch is retried every second (and
// polling, when enabled, covers the gap).
func (w *Watcher) Add(key string, files []string) error {
	if len(files) == 0 {
		return fmt.Errorf("watch: no files given for %q", key)
	}
	g := &group{key: key}
	seen := make(map[string]bool)
	for _, given := range files {
		abs, err := filepath.Abs(given)
		if err != nil {
			return fmt.Errorf("watch: cannot make %q absolute: %w", given, err)
		}
		if seen[abs] {
			continue
		}
		seen[abs] = true
		f := &file{group: g, given: given, path: abs}
		f.resolve()
		f.last = statFile(abs)
		f.reported = f.last
		g.files = append(g.files, f)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.wakeLoop()
	if old, ok := w.groups[key]; ok {
		if sameFiles(old, g) {
			// Already watched: keep the state (a change may be pending).
			return w.syncDirsLocked()
		}
		w.dropGroupLocked(old)
	}
	w.groups[key] = g
	for _, f := range g.files {
		w.indexLocked(f)
	}
	return w.syncDirsLocked()
}

// sameFiles reports whether a and b watch the same paths in the same order.
func sameFiles(a, b *group) bool {
	if len(a.files) != len(b.files) {
		return false
	}
	for i := range a.files {
		if a.files[i].path != b.files[i].path || a.files[i].given != b.files[i].given {
			return false
		}
	}
	return true
}

// Remove stops watching key. Removing an unknown key does nothing.
func (w *Watcher) Remove(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	g, ok := w.groups[key]
	if !ok {
		return
	}
	w.dropGroupLocked(g)
	delete(w.groups, key)
	defer w.wakeLoop()
	for i := range w.out {
		if w.out[i].Key == key {
			w.out = slices.Delete(w.out, i, i+1)
			break
		}
	}
	if err := w.syncDirsLocked(); err != nil {
		w.log.Debug("watch: removing directory watches", "err", err)
	}
}

// wakeLoop makes the loop look at the directories again.
func (w *Watcher) wakeLoop() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Keys returns the keys being watched, in no particular order.
func (w *Watcher) Keys() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]string, 0, len(w.groups))
	for k := range w.groups {
		keys = append(keys, k)
	}
	return keys
}

// Events delivers changes. It is never closed; select on it with your ctx.
// Events for a key that the consumer has not taken yet are merged, so a
// slow consumer never blocks the watcher.
func (w *Watcher) Events() <-chan Event { return w.events }

// Errors delivers watcher errors (inotify limits, a watch that failed,
// lost events). It is never closed. When nobody reads it and it is full,
// further errors are logged instead.
func (w *Watcher) Errors() <-chan error { return w.errs }

// report sends err on Errors without blocking, logging it when the
// channel is full.
func (w *Watcher) report(err error) {
	select {
	case w.errs <- err:
	default:
		w.log.Warn("watch: error channel full, error dropped", "err", err)
	}
}

// Run watches until ctx is done, then releases every OS resource and
// returns nil (or the error that stopped it). Run may be called only once
// at a time.
func (w *Watcher) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.running {
		w.mu.Unlock()
		return errors.New("watch: Run called twice")
	}
	w.running = true
	fsw, err := w.newNotifier()
	poll := w.opts.Poll
	if err != nil {
		// Typically the per-user inotify instance limit. Keep working by
		// polling instead of failing the app.
		w.report(fmt.Errorf("watch: file notifications unavailable, polling every %v instead: %w", fallbackPoll, err))
		if poll == 0 {
			poll = fallbackPoll
		}
	} else {
		w.fsw = fsw
		for _, d := range w.dirs {
			d.added = false
		}
		if err := w.syncDirsLocked(); err != nil {
			w.report(err)
		}
	}
	w.mu.Unlock()

	defer func() {
		w.mu.Lock()
		w.fsw = nil
		w.running = false
		for _, d := range w.dirs {
			d.added = false
		}
		w.mu.Unlock()
		if fsw != nil {
			if err := fsw.Close(); err != nil {
				w.log.Debug("watch: closing notifier", "err", err)
			}
		}
	}()
	return w.loop(ctx, fsw, poll)
}
