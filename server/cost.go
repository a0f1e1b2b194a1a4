package server

import (
	"cmp"
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

// costNode is one node's figures; MACs is null when unknown.
type costNode struct {
	MACs            *int64 `json:"macs"`
	OtherOps        int64  `json:"other_ops"`
	Params          int64  `json:"params"`
	ParamBytes      int64  `json:"param_bytes"`
	ActivationBytes int64  `json:"activation_bytes"`
	// Formula is the MACs with the symbolic dims kept, when there are any.
	Formula string `json:"formula,omitempty"`
}

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

// costReply is GET /api/models/{id}/cost.
type costReply struct {
	Totals   *cost.Report         `json:"totals"`
	Nodes    []costNode           `json:"nodes"`
	Scopes   map[string]costScope `json:"scopes"`
	Heaviest []costHeavy          `json:"heaviest"`
}

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
	writeJSON(w, http.StatusOK, costReplyOf(g, rep))
}

// costReplyOf shapes a report for the page.
func costReplyOf(g *model.Graph, rep *cost.Report) costReply {
	out := costReply{Totals: rep, Nodes: make([]costNode, len(rep.Nodes)), Scopes: map[string]costScope{}}
	for i, c := range rep.Nodes {
		n := costNode{OtherOps: c.OtherOps, Params: c.Params, ParamBytes: c.ParamBytes, ActivationBytes: c.ActivationBytes}
		if !c.Unknown {
			n.MACs = &rep.Nodes[i].MACs
		}
		if len(c.Formula.Syms) > 0 && c.Formula.Coef > 0 {
			n.Formula = c.Formula.String()
		}
		out.Nodes[i] = n
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
