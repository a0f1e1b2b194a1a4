package app

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
)

// library is the App seen by the HTTP API (server.Library).
type library App

var _ server.Library = (*library)(nil)

func (l *library) List() []server.ModelInfo {
	a := (*App)(l)
	a.mu.Lock()
	defer a.mu.Unlock()
	list := make([]server.ModelInfo, 0, len(a.models))
	for _, e := range a.models {
		list = append(list, e.info())
	}
	return list
}

func (l *library) Get(ctx context.Context, id string) (server.ModelInfo, *model.Model, error) {
	a := (*App)(l)
	a.mu.Lock()
	e := a.byID[id]
	a.mu.Unlock()
	if e == nil {
		return server.ModelInfo{}, nil, server.ErrNotFound
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return server.ModelInfo{}, nil, ctx.Err()
	case <-a.ctx.Done():
		return server.ModelInfo{}, nil, errors.New("modelpeek is quitting")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return e.info(), e.model, nil
}

func (l *library) Close(id string) error {
	a := (*App)(l)
	a.mu.Lock()
	e := a.byID[id]
	if e == nil {
		a.mu.Unlock()
		return server.ErrNotFound
	}
	e.removed = true
	select {
	case <-e.ready:
	default:
		close(e.ready) // requests waiting for its load get its last state
	}
	delete(a.byID, id)
	// slices.Delete clears the freed slot: a stale pointer left past the
	// end of the slice would keep the model's whole graph alive.
	a.models = slices.DeleteFunc(a.models, func(m *entry) bool { return m == e })
	if e.uploaded {
		os.Remove(e.path)
	}
	e.dropVersionsLocked()
	a.notifyLocked()
	a.mu.Unlock()
	a.syncWatch(e)
	a.srv.DropLayouts(id, math.MaxInt)
	a.publishModels()
	a.releaseMemory()
	return nil
}

func (l *library) SetModelWatching(id string, on bool) error {
	a := (*App)(l)
	a.mu.Lock()
	e := a.byID[id]
	if e == nil {
		a.mu.Unlock()
		return server.ErrNotFound
	}
	e.watching = on
	a.notifyLocked()
	a.mu.Unlock()
	a.syncWatch(e)
	a.publishModels()
	return nil
}

func (l *library) SetWatching(on bool) { (*App)(l).SetWatching(on) }

func (l *library) AddUploads(files []server.Upload) ([]string, error) {
	a := (*App)(l)
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, errors.New("modelpeek is quitting")
	}
	var ids []string
	for _, f := range files {
		ids = append(ids, a.addLocked(f.Path, f.Name, true).id)
	}
	a.notifyLocked()
	a.mu.Unlock()
	a.publishModels()
	return ids, nil
}
