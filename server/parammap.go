package server

import (
	"net/http"

	"github.com/modelpeek/modelpeek/model"
)

// paramMap is the answer of GET /api/models/{id}/params: the parameter
// map (model.ParamTree) of the graph at ?path= (the main graph when
// empty), for the page's treemap.
type paramMap struct {
	Root *model.ParamGroup `json:"root"`
}

// handleParams answers the parameter map of a graph's weights.
func (r *run) handleParams(w http.ResponseWriter, req *http.Request) {
	_, chain, ok := r.getGraph(w, req)
	if !ok {
		return
	}
	tree := model.ParamTree(chain[len(chain)-1])
	r.deadline(w)
	writeJSON(w, http.StatusOK, paramMap{Root: tree})
}
