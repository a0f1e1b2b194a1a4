package app

import (
	"time"

	"github.com/modelpeek/modelpeek/watch"
)

// syncWatch makes the watcher match the watching state of es. Setting a
// watch up can be slow (an inotify watch on a crowded /tmp takes tens of
// milliseconds), so it runs outside a.mu, after the state changed: a
// load is published and laid out without waiting for it. a.watchMu keeps
// the set-ups in order and each reads its entry's state only once it
// holds it, so the last to run applies the latest state: an entry closed,
// unwatched or reloaded meanwhile ends up as its state says. Callers hold
// neither lock.
func (a *App) syncWatch(es ...*entry) {
	a.watchMu.Lock()
	defer a.watchMu.Unlock()
	for _, e := range es {
		a.mu.Lock()
		on, files := a.watchWantedLocked(e)
		a.mu.Unlock()
		if !on {
			a.watcher.Remove(e.id)
			continue
		}
		t := time.Now()
		if err := a.addWatch(e.id, files); err != nil {
			a.log.Warn("cannot watch a model", "path", files[0], "err", err)
		}
		a.log.Debug("model watched", "path", files[0], "took", time.Since(t))
	}
}

// watchWantedLocked reports whether e's files should be watched, and
// which (the main file first).
func (a *App) watchWantedLocked(e *entry) (bool, []string) {
	if !a.watching || !e.watching || e.removed {
		return false, nil
	}
	if len(e.files) == 0 {
		return true, []string{e.path}
	}
	return true, e.files
}

// SetWatching turns the global "watch for changes" switch on or off.
func (a *App) SetWatching(on bool) {
	a.mu.Lock()
	a.watching = on
	es := append([]*entry(nil), a.models...)
	a.notifyLocked()
	a.mu.Unlock()
	a.syncWatch(es...)
	a.publishModels()
}

// watchLoop reloads models when their files change.
func (a *App) watchLoop() error {
	for {
		select {
		case <-a.ctx.Done():
			return nil
		case ev := <-a.watcher.Events():
			a.onFileEvent(ev)
		case err := <-a.watcher.Errors():
			a.log.Warn("file watcher", "err", err)
		}
	}
}

func (a *App) onFileEvent(ev watch.Event) {
	a.mu.Lock()
	e := a.byID[ev.Key]
	if e == nil || !e.watching || !a.watching {
		a.mu.Unlock()
		return
	}
	if ev.Gone {
		e.err = "the file was deleted or moved away; showing the last version"
		e.changes = append(e.changes, ev.Files...)
		ev := modelEvent{ID: e.id, Version: e.version, Error: e.err, Changes: orEmpty(e.changes)}
		e.changes = nil
		a.notifyLocked()
		a.mu.Unlock()
		a.srv.Hub().Publish("model", ev)
		a.publishModels()
		return
	}
	a.loadLocked(e, ev.Files)
	a.mu.Unlock()
	a.publishModels()
}
