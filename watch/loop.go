package watch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// contentOps are the operations that mean the bytes (or the file behind
// the name) may have changed, as opposed to a metadata-only chmod.
const contentOps = fsnotify.Write | fsnotify.Create | fsnotify.Remove | fsnotify.Rename

// loop is Run's body: it serves OS events, timers and the consumer until
// ctx is done. fsw is nil when notifications are unavailable.
func (w *Watcher) loop(ctx context.Context, fsw *fsnotify.Watcher, poll time.Duration) error {
	var fsEvents <-chan fsnotify.Event
	var fsErrs <-chan error
	if fsw != nil {
		fsEvents, fsErrs = fsw.Events, fsw.Errors
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	retry := newRetryTimer()
	defer retry.t.Stop()
	var pollC <-chan time.Time
	if poll > 0 {
		t := time.NewTicker(poll)
		defer t.Stop()
		pollC = t.C
	}

	for {
		send, next := w.prepare(timer, retry)
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsEvents:
			if !ok {
				return errors.New("watch: the OS notifier stopped unexpectedly")
			}
			w.handle(ev, time.Now())
		case err, ok := <-fsErrs:
			if !ok {
				return errors.New("watch: the OS notifier stopped unexpectedly")
			}
			w.handleError(err, time.Now())
		case now := <-timer.C:
			w.check(now)
		case <-pollC:
			w.poll(time.Now())
		case <-w.wake:
			// Add or Remove changed the directories: re-arm above.
		case now := <-retry.t.C:
			retry.armed = false
			w.mu.Lock()
			w.retryDirsLocked(now)
			w.mu.Unlock()
		case send <- next:
			w.mu.Lock()
			if len(w.out) > 0 && w.out[0].Key == next.Key {
				w.out = w.out[1:]
			}
			w.mu.Unlock()
		}
	}
}

// retryTimer fires while a watched directory lacks its OS watch, and
// only then: a watcher at rest schedules nothing.
type retryTimer struct {
	t     *time.Timer
	armed bool
}

func newRetryTimer() *retryTimer {
	t := time.NewTimer(retryInterval)
	t.Stop()
	return &retryTimer{t: t}
}

// set arms the timer when a directory is missing and stops it when none is.
func (r *retryTimer) set(missing bool) {
	if missing == r.armed {
		return
	}
	r.armed = missing
	if missing {
		r.t.Reset(retryInterval)
	} else {
		r.t.Stop()
	}
}

// prepare arms the debounce and retry timers for the current state and
// returns the channel and event to deliver next (a nil channel when none
// is waiting).
func (w *Watcher) prepare(timer *time.Timer, retry *retryTimer) (chan Event, Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.armLocked(timer, time.Now())
	retry.set(w.missingDirsLocked())
	if len(w.out) == 0 {
		return nil, Event{}
	}
	return w.events, w.out[0]
}

// armLocked sets timer to fire when the earliest pending group's quiet
// period ends, or stops it when nothing is pending.
func (w *Watcher) armLocked(timer *time.Timer, now time.Time) {
	var first time.Time
	for _, g := range w.groups {
		if !g.pending {
			continue
		}
		due := g.lastChange.Add(g.quiet(w.opts.Debounce))
		if first.IsZero() || due.Before(first) {
			first = due
		}
	}
	timer.Stop()
	if first.IsZero() {
		return
	}
	d := first.Sub(now)
	if d < 0 {
		d = 0
	}
	timer.Reset(d)
}

// handle processes one OS event.
func (w *Watcher) handle(ev fsnotify.Event, now time.Time) {
	name := filepath.Clean(ev.Name)
	w.mu.Lock()
	defer w.mu.Unlock()

	// The watched directory itself went away: its watch is dead. Forget
	// it (retried every second) and re-check every file that lived there.
	if dw, ok := w.dirs[name]; ok && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		if dw.added && w.fsw != nil {
			_ = w.fsw.Remove(name)
		}
		dw.added = false
		for p, files := range w.byPath {
			if filepath.Dir(p) != name {
				continue
			}
			for _, f := range files {
				f.last = statFile(f.path)
				w.markLocked(f, true, now)
			}
		}
	}

	files := append([]*file(nil), w.byPath[name]...)
	content := ev.Op&contentOps != 0
	for _, f := range files {
		if name == f.path && content {
			// A symlink swap replaces the link: follow it to the new target.
			w.reresolveLocked(f)
		}
		f.last = statFile(f.path)
		w.markLocked(f, content, now)
	}
}

// handleError reports an error of the OS notifier. Lost events mean any
// file may have changed unseen, so every file is compared with what was
// last reported.
func (w *Watcher) handleError(err error, now time.Time) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.report(fmt.Errorf("watch: too many changes at once, some notifications were lost; re-checking every watched file: %w", err))
		w.mu.Lock()
		for _, g := range w.groups {
			for _, f := range g.files {
				f.last = statFile(f.path)
				if !f.last.same(f.reported) {
					w.markLocked(f, false, now)
				}
			}
		}
		w.mu.Unlock()
		return
	}
	w.report(fmt.Errorf("watch: %w", describe(err)))
}

// poll compares every watched file with its last observation, for file
// systems whose changes raise no notification.
func (w *Watcher) poll(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, g := range w.groups {
		for _, f := range g.files {
			w.reresolveLocked(f)
			s := statFile(f.path)
			if !s.same(f.last) {
				f.last = s
				w.markLocked(f, true, now)
			}
		}
	}
}

// check emits an Event for every group whose quiet period (see
// group.quiet) has ended and
// whose changed files are stable (size, modification time and identity
// unchanged since the last change was seen). A file that moved without a
// notification restarts its group's quiet period.
func (w *Watcher) check(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, g := range w.groups {
		if !g.pending || now.Before(g.lastChange.Add(g.quiet(w.opts.Debounce))) {
			continue
		}
		stable := true
		for _, f := range g.files {
			if !f.dirty {
				continue
			}
			s := statFile(f.path)
			if !s.same(f.last) {
				f.last = s
				stable = false
			}
		}
		if !stable {
			g.lastChange = now
			continue
		}
		g.pending = false
		ev := Event{Key: g.key, Gone: !g.files[0].last.exists}
		for _, f := range g.files {
			if !f.dirty {
				continue
			}
			if f.content || !f.last.same(f.reported) {
				ev.Files = append(ev.Files, f.given)
			}
			f.reported = f.last
			f.dirty, f.content = false, false
		}
		if len(ev.Files) > 0 {
			w.enqueueLocked(ev)
		}
	}
}

// enqueueLocked queues ev for the consumer, merging it into an event for
// the same key that is still waiting.
func (w *Watcher) enqueueLocked(ev Event) {
	for i := range w.out {
		q := &w.out[i]
		if q.Key != ev.Key {
			continue
		}
		for _, f := range ev.Files {
			found := false
			for _, have := range q.Files {
				if have == f {
					found = true
					break
				}
			}
			if !found {
				q.Files = append(q.Files, f)
			}
		}
		q.Gone = ev.Gone
		return
	}
	w.out = append(w.out, ev)
}
