package app

import (
	"context"

	"github.com/modelpeek/modelpeek/tray"
)

// stateSub is one Subscribe channel: capacity one, always holding the
// newest State.
type stateSub struct {
	ch     chan tray.State
	closed bool
}

// Subscribe returns a channel that receives the current State at once and
// the latest State after every change (a slow reader sees only the
// newest). It is closed when ctx is done or the app quits.
func (a *App) Subscribe(ctx context.Context) <-chan tray.State {
	s := &stateSub{ch: make(chan tray.State, 1)}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		close(s.ch)
		return s.ch
	}
	a.subs[s] = struct{}{}
	s.ch <- a.stateLocked()
	a.mu.Unlock()
	context.AfterFunc(ctx, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.dropSubLocked(s)
	})
	return s.ch
}

func (a *App) dropSubLocked(s *stateSub) {
	delete(a.subs, s)
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

func (a *App) closeSubs() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for s := range a.subs {
		a.dropSubLocked(s)
	}
}

// notify sends the current State to every subscriber, replacing any
// State they have not read yet.
func (a *App) notify() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notifyLocked()
}

func (a *App) notifyLocked() {
	if len(a.subs) == 0 {
		return
	}
	st := a.stateLocked()
	for s := range a.subs {
		select {
		case <-s.ch:
		default:
		}
		s.ch <- st
	}
}
