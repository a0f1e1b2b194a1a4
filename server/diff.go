package server

import (
	"errors"
	"net/http"

	"github.com/modelpeek/modelpeek/compare"
)

// handleDiff answers GET /api/models/{id}/diff?against={id2}: the
// comparison of model id (A) with model id2 (B), in the JSON of
// `modelpeek diff --json`.
func (r *run) handleDiff(w http.ResponseWriter, req *http.Request) {
	_, a, ok := r.getModel(w, req)
	if !ok {
		return
	}
	other := req.URL.Query().Get("against")
	if other == "" {
		jsonError(w, http.StatusBadRequest, "say which model to compare with: ?against=ID")
		return
	}
	_, b, err := r.s.cfg.Library.Get(req.Context(), other)
	switch {
	case errors.Is(err, ErrNotFound):
		jsonError(w, http.StatusNotFound, "no such model to compare with (it may have been closed)")
		return
	case err != nil:
		if req.Context().Err() == nil {
			jsonError(w, http.StatusServiceUnavailable, err.Error())
		}
		return
	}
	res, err := compare.Models(req.Context(), a, b)
	if err != nil {
		if req.Context().Err() == nil {
			jsonError(w, http.StatusInternalServerError, err.Error())
		}
		return
	}
	r.deadline(w)
	writeJSON(w, http.StatusOK, res)
}
