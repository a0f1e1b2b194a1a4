package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/model"
)

// againstPrevious is the ?against= value naming the model's own previous
// version.
const againstPrevious = "previous"

// handleDiff answers GET /api/models/{id}/diff?against={id2}: the
// comparison of model id (A) with model id2 (B), in the JSON of
// `modelpeek diff --json`. ?against=previous compares the model's
// previous good version (A) with its current one (B): what the last
// reload changed. With ?view=1 the answer also carries "view", the
// node indices the viewer colours and links (diffView).
func (r *run) handleDiff(w http.ResponseWriter, req *http.Request) {
	other := req.URL.Query().Get("against")
	if other == "" {
		jsonError(w, http.StatusBadRequest, "say which model to compare with: ?against=ID or ?against=previous")
		return
	}
	var ia, ib ModelInfo
	var a, b *model.Model
	var ok bool
	if other == againstPrevious {
		if ib, b, ok = r.getModel(w, req); !ok {
			return
		}
		if ia, a, ok = r.getPrevious(w, req); !ok {
			return
		}
	} else {
		if ia, a, ok = r.getModel(w, req); !ok {
			return
		}
		if ib, b, ok = r.getOther(w, req.Context(), other); !ok {
			return
		}
	}
	if a == nil || b == nil {
		jsonError(w, http.StatusUnprocessableEntity, "a model of the pair could not be read: "+orName(ia.Error, ib.Error))
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
	if req.URL.Query().Get("view") == "" {
		writeJSON(w, http.StatusOK, res)
		return
	}
	writeJSON(w, http.StatusOK, diffWithView{Result: res, View: newDiffView(res, a, b, ia.Version, ib.Version)})
}

// getOther loads model id, the B of a comparison, answering the error
// itself.
func (r *run) getOther(w http.ResponseWriter, ctx context.Context, id string) (ModelInfo, *model.Model, bool) {
	info, m, err := r.s.cfg.Library.Get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		jsonError(w, http.StatusNotFound, "no such model to compare with (it may have been closed)")
		return info, nil, false
	case err != nil:
		if ctx.Err() == nil {
			jsonError(w, http.StatusServiceUnavailable, err.Error())
		}
		return info, nil, false
	}
	return info, m, true
}

// diffWithView is the answer of the diff route with ?view=1.
type diffWithView struct {
	*compare.Result
	View *diffView `json:"view"`
}

// diffView is what the viewer needs to colour and link two graphs: node
// indices (the "n<index>" boxes of each side's graph view) rather than
// names.
type diffView struct {
	// Pairs are the matched nodes: [index in A, index in B].
	Pairs [][2]int `json:"pairs"`
	// Added are indices in B, Removed indices in A.
	Added   []int `json:"added"`
	Removed []int `json:"removed"`
	// Changed are the matched pairs that differ.
	Changed []viewChange `json:"changed"`
	// VersionA and VersionB are the compared versions of the models.
	VersionA int `json:"version_a"`
	VersionB int `json:"version_b"`
}

// viewChange is one changed pair with its change lines and the indices,
// in the result's weights.changed, of the weights of its A node.
type viewChange struct {
	A       int      `json:"a"`
	B       int      `json:"b"`
	Changes []string `json:"changes"`
	Weights []int    `json:"weights"`
}

// newDiffView derives the index form of res for models a and b.
func newDiffView(res *compare.Result, a, b *model.Model, va, vb int) *diffView {
	v := &diffView{Pairs: make([][2]int, 0, len(res.Pairs)), Added: []int{}, Removed: []int{}, Changed: []viewChange{}, VersionA: va, VersionB: vb}
	var na, nb int
	if a.Graph != nil {
		na = len(a.Graph.Nodes)
	}
	if b.Graph != nil {
		nb = len(b.Graph.Nodes)
	}
	inA, inB := make([]bool, na), make([]bool, nb)
	for _, p := range res.Pairs {
		v.Pairs = append(v.Pairs, [2]int{p.A, p.B})
		inA[p.A], inB[p.B] = true, true
	}
	for i, in := range inA {
		if !in {
			v.Removed = append(v.Removed, i)
		}
	}
	for j, in := range inB {
		if !in {
			v.Added = append(v.Added, j)
		}
	}
	weightIdx := map[string]int{}
	for k, wc := range res.Weights.Changed {
		weightIdx[wc.A] = k
	}
	for _, c := range res.Nodes.Changed {
		vc := viewChange{A: c.IA, B: c.IB, Changes: c.Changes, Weights: []int{}}
		for _, in := range a.Graph.Nodes[c.IA].Inputs {
			if k, ok := weightIdx[in]; ok {
				vc.Weights = append(vc.Weights, k)
			}
		}
		v.Changed = append(v.Changed, vc)
	}
	return v
}
