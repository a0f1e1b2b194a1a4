package server

import (
	"context"
	"io"
	"time"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// warmViews are the views of a model's main graph laid out when a version
// of it arrives, before any page asks: the page's first request (groups
// opened as the layout decides), then every group open (?expand=all),
// both in the compact wire form the page asks for (?wire=1). Scripts
// asking for JSON share the layout and pay only its encoding.
var warmViews = [...]string{"", "all"}

// Warm lays out, in the background, the views a page asks for first of
// model id at version (just loaded or reloaded), so that the graph route
// answers them from the cache; a request arriving meanwhile joins the
// layout in progress. The app calls it after each successful load; it is
// work done once per load, never at rest. A later DropLayouts (close,
// reload) cancels what is still running, and ctx (the app's) ends it.
// The channel returned is closed when the warm-up has ended.
func (s *Server) Warm(ctx context.Context, id string, version int, m *model.Model) <-chan struct{} {
	end := make(chan struct{})
	if m == nil || m.Graph == nil {
		close(end)
		return end
	}
	g := m.Graph
	go func() {
		defer close(end)
		// One warm-up at a time: opening many models at once must not
		// hold all their layouts in the making at once.
		select {
		case s.warmSlot <- struct{}{}:
			defer func() { <-s.warmSlot }()
		case <-ctx.Done():
			return
		}
		heap := s.startWarmHeap(g)
		defer heap.end()
		for i, expand := range warmViews {
			if i > 0 {
				heap.bound()
			}
			// A page's request for another view of this version goes
			// first: the two would share the cores, and the page waits
			// for its own while nobody waits for the warm-up's.
			if !s.graphs.awaitRequests(ctx, id, version) || s.stale(ctx, id, version) {
				return // closed or reloaded while waiting
			}
			opts, exp := layoutOptions(expand, "")
			key := graphKey{id: id, version: version, path: "", expand: exp, wire: true}
			t := time.Now()
			select {
			case <-s.graphs.warm(ctx, key, s.viewBytes(key, g, opts)):
			case <-ctx.Done():
				return
			}
			s.log.Debug("warm-up: view laid out", "id", id, "expand", expand, "took", time.Since(t))
			// Closed or reloaded before the warm-up began: drop it.
			s.dropStale(ctx, ModelInfo{ID: id, Version: version})
		}
	}()
	return end
}

// stale reports whether model id is no longer open at version.
func (s *Server) stale(ctx context.Context, id string, version int) bool {
	cur, _, err := s.cfg.Library.Get(ctx, id)
	return err != nil || cur.Version != version
}

// viewBytes is the computation behind a graphKey: graph g laid out with
// opts (its prepared form shared through s.preps), written as the graph
// route sends it; a big graph's default view first (interimFirst). Its
// stages' times go to the debug log ("view made"), where the speed
// benchmark reads them (e2e/web, MODELPEEK_SPEED_TRACE).
func (s *Server) viewBytes(key graphKey, g *model.Graph, opts layout.Options) answerFunc {
	return func(ctx context.Context, w io.Writer) error {
		s.interimFirst(ctx, key, g)
		t0 := time.Now()
		p, err := s.preps.prepared(ctx, prepKey{key.id, key.version, key.path}, g, opts)
		if err != nil {
			return err
		}
		t1 := time.Now()
		v, err := p.Layout(ctx, opts)
		if err != nil {
			return err
		}
		t2 := time.Now()
		err = writeView(w, v, key.wire)
		s.log.Debug("view made", "id", key.id, "expand", key.expand, "nodes", len(v.Nodes),
			"prepared", t1.Sub(t0), "laidOut", t2.Sub(t1), "written", time.Since(t2), "err", err)
		return err
	}
}

// warm starts computing key unless it is cached or in progress, and
// returns a channel closed when it is done. The computation runs under
// ctx and is not cancelled when the requests that join it leave.
func (c *graphCache) warm(ctx context.Context, key graphKey, compute answerFunc) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[key]; e != nil {
		return e.done
	}
	e := c.startLocked(ctx, key, compute)
	e.warm = true
	return e.done
}

// awaitRequests waits until no layout of model id at version that a
// request started (not a warm-up) is in progress, and reports false if
// ctx ended first.
func (c *graphCache) awaitRequests(ctx context.Context, id string, version int) bool {
	for {
		busy := c.requested(id, version)
		if busy == nil {
			return true
		}
		select {
		case <-busy:
		case <-ctx.Done():
			return false
		}
	}
}

// requested returns the done channel of a layout of model id at version
// that a request started and still waits for, or nil when there is none.
func (c *graphCache) requested(id string, version int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if k.id != id || k.version != version || e.warm || e.waiters == 0 {
			continue
		}
		select {
		case <-e.done:
		default:
			return e.done
		}
	}
	return nil
}
