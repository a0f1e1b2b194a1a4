package app

import (
	"github.com/modelpeek/modelpeek/watch"
)

// applyWatchLocked makes the watcher match e's watching state.
func (a *App) applyWatchLocked(e *entry) {
	if a.watching && e.watching && !e.removed {
		files := e.files
		if len(files) == 0 {
			files = []string{e.path}
		}
		if err := a.watcher.Add(e.id, files); err != nil {
			a.log.Warn("cannot watch a model", "path", e.path, "err", err)
		}
		return
	}
	a.watcher.Remove(e.id)
}

// SetWatching turns the global "watch for changes" switch on or off.
func (a *App) SetWatching(on bool) {
	a.mu.Lock()
	a.watching = on
	for _, e := range a.models {
		a.applyWatchLocked(e)
	}
	a.notifyLocked()
	a.mu.Unlock()
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
