package server

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// heaviestNodes is how many nodes the cost route lists by MACs.
const heaviestNodes = 10

// maxDims bounds the symbols a cost request may set.
const maxDims = 32

// costScope sums the nodes of one name scope (a group "g:" + path).
type costScope struct {
	MACs    int64 `json:"macs"`
	Params  int64 `json:"params"`
	Nodes   int   `json:"nodes"`
	Unknown int   `json:"unknown"`
}

// costHeavy is one of the heaviest nodes.
type costHeavy struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Op    string `json:"op"`
	MACs  int64  `json:"macs"`
	// Groups are the IDs of the name-scope groups holding it, outermost
	// first: the page opens them to show the node.
	Groups []string `json:"groups"`
}

// costReply is GET /api/models/{id}/cost. The per-node figures are
// parallel arrays by node index (compact for graphs of 100,000s of
// nodes): MACs null when unknown; Formulas has the nodes whose MACs keep
// symbolic dims.
type costReply struct {
	Totals          *cost.Report         `json:"totals"`
	MACs            []*int64             `json:"macs"`
	OtherOps        []int64              `json:"other_ops"`
	Params          []int64              `json:"params"`
	ParamBytes      []int64              `json:"param_bytes"`
	ActivationBytes []int64              `json:"activation_bytes"`
	Formulas        map[int]string       `json:"formulas"`
	Scopes          map[string]costScope `json:"scopes"`
	Heaviest        []costHeavy          `json:"heaviest"`
}

// gzipAbove is the reply size from which the cost route gzips.
const gzipAbove = 64 << 10

// handleCost answers GET /api/models/{id}/cost?path=P&dims=batch=4,n_tokens=128:
// the cost of the graph at path (see resolveGraph) with the symbolic
// dimensions set, per node (by index), per name scope, and the nodes
// with the most MACs.
func (r *run) handleCost(w http.ResponseWriter, req *http.Request) {
	dims, err := parseDims(req.URL.Query().Get("dims"))
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	_, chain, ok := r.getGraph(w, req)
	if !ok {
		return
	}
	g := chain[len(chain)-1]
	rep := cost.Chain(req.Context(), chain, cost.Options{Dims: dims})
	if req.Context().Err() != nil {
		return
	}
	r.deadline(w)
	b, err := json.Marshal(costReplyOf(g, rep))
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "cannot encode the cost: "+err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Vary", "Accept-Encoding")
	if len(b) > gzipAbove && acceptsGzip(req) {
		b = gzipBytes(b)
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// costReplyOf shapes a report for the page.
func costReplyOf(g *model.Graph, rep *cost.Report) costReply {
	k := len(rep.Nodes)
	out := costReply{Totals: rep, MACs: make([]*int64, k), OtherOps: make([]int64, k), Params: make([]int64, k),
		ParamBytes: make([]int64, k), ActivationBytes: make([]int64, k), Formulas: map[int]string{}, Scopes: map[string]costScope{}}
	for i, c := range rep.Nodes {
		if !c.Unknown {
			out.MACs[i] = &rep.Nodes[i].MACs
		}
		out.OtherOps[i], out.Params[i], out.ParamBytes[i], out.ActivationBytes[i] = c.OtherOps, c.Params, c.ParamBytes, c.ActivationBytes
		if len(c.Formula.Syms) > 0 && c.Formula.Coef > 0 {
			out.Formulas[i] = c.Formula.String()
		}
		for _, p := range layout.ScopePaths(g.Nodes[i].Name) {
			s := out.Scopes[p]
			s.MACs, s.Params, s.Nodes = s.MACs+c.MACs, s.Params+c.Params, s.Nodes+1
			if c.Unknown {
				s.Unknown++
			}
			out.Scopes[p] = s
		}
	}
	out.Heaviest = heaviest(g, rep)
	return out
}

// heaviest lists the nodes with the most MACs, most first.
func heaviest(g *model.Graph, rep *cost.Report) []costHeavy {
	idx := make([]int, 0, len(rep.Nodes))
	for i, c := range rep.Nodes {
		if c.MACs > 0 {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(rep.Nodes[b].MACs, rep.Nodes[a].MACs), cmp.Compare(a, b))
	})
	out := []costHeavy{}
	for _, i := range idx[:min(len(idx), heaviestNodes)] {
		groups := []string{}
		for _, p := range layout.ScopePaths(g.Nodes[i].Name) {
			groups = append(groups, "g:"+p)
		}
		out = append(out, costHeavy{Index: i, Name: g.Nodes[i].Name, Op: g.Nodes[i].OpType, MACs: rep.Nodes[i].MACs, Groups: groups})
	}
	return out
}

// parseDims reads "name=value,name=value".
func parseDims(s string) (map[string]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxDims {
		return nil, fmt.Errorf("at most %d dims", maxDims)
	}
	out := make(map[string]int64, len(parts))
	for _, p := range parts {
		name, v, ok := strings.Cut(p, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || name == "" || err != nil || n < 0 {
			return nil, fmt.Errorf("bad dims entry %q (want name=count)", p)
		}
		out[name] = n
	}
	return out, nil
}
