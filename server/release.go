package server

import (
	"context"
	"errors"
	"math"
)

// DropLayouts drops the cached layouts and prepared graphs of model id
// whose version is below before; math.MaxInt drops every version (the
// model was closed). The app calls it when a model is closed or
// reloaded, so that no cache keeps an old graph alive until a page asks
// for the model again; a version dropped is laid out again on demand.
func (s *Server) DropLayouts(id string, before int) {
	s.graphs.forgetBefore(id, before)
	s.preps.forgetBefore(id, before)
}

// CachedLayouts returns how many layouts and prepared graphs of model id
// are cached (for tests and diagnostics).
func (s *Server) CachedLayouts(id string) int { return s.CachedLayoutsBefore(id, math.MaxInt) }

// CachedLayoutsBefore returns how many layouts and prepared graphs of
// model id's versions older than before are cached.
func (s *Server) CachedLayoutsBefore(id string, before int) int {
	return s.graphs.count(id, before) + s.preps.count(id, before)
}

// LayoutsComputed returns how many layouts the server has started since
// it was made, requested or warmed (for tests and diagnostics: a request
// answered from the cache starts none).
func (s *Server) LayoutsComputed() int64 { return s.graphs.computed.Load() }

// dropStale runs after a layout request of model version info.Version:
// if the model was closed or reloaded while it was laid out, what the
// caches stored for it is dropped, as the close or reload dropped the
// rest. (The close may have run between the request's Library.Get and
// the layout's storing.)
func (s *Server) dropStale(ctx context.Context, info ModelInfo) {
	cur, _, err := s.cfg.Library.Get(context.WithoutCancel(ctx), info.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		s.DropLayouts(info.ID, math.MaxInt)
	case err == nil && cur.Version > info.Version:
		s.DropLayouts(info.ID, cur.Version)
	}
}
