package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// ErrNoPrevious is returned by Versions.Previous when no previous version
// of a model is kept.
var ErrNoPrevious = errors.New("no previous version of this model is kept")

// Versions is implemented by a Library that keeps the previous good
// version of its models (the app does, for watched single files): the
// diff route's ?against=previous and GET .../previous/graph use it.
type Versions interface {
	// Previous returns the previous good version of model id: its info
	// (Version is that version's number) and its decoded model. Unknown
	// IDs give ErrNotFound; a model without one gives ErrNoPrevious.
	Previous(ctx context.Context, id string) (ModelInfo, *model.Model, error)
}

// getPrevious loads the previous version of the model named in the URL,
// answering the error itself.
func (r *run) getPrevious(w http.ResponseWriter, req *http.Request) (ModelInfo, *model.Model, bool) {
	vs, ok := r.s.cfg.Library.(Versions)
	if !ok {
		jsonError(w, http.StatusNotFound, ErrNoPrevious.Error())
		return ModelInfo{}, nil, false
	}
	info, m, err := vs.Previous(req.Context(), req.PathValue("id"))
	switch {
	case errors.Is(err, ErrNotFound):
		jsonError(w, http.StatusNotFound, "no such model (it may have been closed)")
		return info, nil, false
	case errors.Is(err, ErrNoPrevious):
		jsonError(w, http.StatusNotFound, err.Error())
		return info, nil, false
	case err != nil:
		if req.Context().Err() == nil {
			jsonError(w, http.StatusServiceUnavailable, err.Error())
		}
		return info, nil, false
	}
	if m == nil {
		jsonError(w, http.StatusNotFound, ErrNoPrevious.Error())
		return info, nil, false
	}
	return info, m, true
}

// handlePreviousGraph answers GET /api/models/{id}/previous/graph: the
// layout of the previous version's graph, with the graph route's path,
// expand and collapse parameters. It is laid out afresh each time (the
// compare view asks once per reload), so the caches hold current
// versions only.
func (r *run) handlePreviousGraph(w http.ResponseWriter, req *http.Request) {
	_, m, ok := r.getPrevious(w, req)
	if !ok {
		return
	}
	q := req.URL.Query()
	chain, err := resolveGraph(m, q.Get("path"))
	if err != nil {
		jsonError(w, http.StatusNotFound, err.Error())
		return
	}
	opts, _ := layoutOptions(q.Get("expand"), q.Get("collapse"))
	v, err := layoutGraph(req.Context(), chain[len(chain)-1], opts)
	if err != nil {
		if req.Context().Err() == nil {
			jsonError(w, http.StatusUnprocessableEntity, "cannot lay out this graph: "+err.Error())
		}
		return
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, v)
}

// layoutGraph prepares and lays out g once, uncached.
func layoutGraph(ctx context.Context, g *model.Graph, opts layout.Options) (json.RawMessage, error) {
	p, err := layout.Prepare(ctx, g, opts)
	if err != nil {
		return nil, err
	}
	v, err := p.Layout(ctx, opts)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
