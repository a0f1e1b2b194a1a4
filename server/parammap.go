package server

import (
	"net/http"

	"github.com/modelpeek/modelpeek/model"
)

// paramMap is the answer of GET /api/models/{id}/params: the parameter
// map (model.ParamTree) of the graph at ?path= (the main graph when
// empty), for the page's treemap, and the model's counts
// (model.CountParams: total, per root graph, per top-level scope) for the
// model panel.
type paramMap struct {
	Root *model.ParamGroup `json:"root"`
	model.Params
}

// handleParams answers the parameter map of a graph's weights and the
// model's parameter counts.
func (r *run) handleParams(w http.ResponseWriter, req *http.Request) {
	info, m, ok := r.getModel(w, req)
	if !ok {
		return
	}
	if m == nil {
		jsonError(w, http.StatusUnprocessableEntity, info.Error)
		return
	}
	chain, err := resolveGraph(m, req.URL.Query().Get("path"))
	if err != nil {
		jsonError(w, http.StatusNotFound, err.Error())
		return
	}
	tree := model.ParamTree(chain[len(chain)-1])
	r.deadline(w)
	writeJSON(w, http.StatusOK, paramMap{Root: tree, Params: model.CountParams(m)})
}
