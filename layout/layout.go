package layout

import (
	"context"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// Options control a layout.
type Options struct {
	// ExpandAll opens every group (the page's expand=all).
	ExpandAll bool
	// Expanded lists group IDs to open; others start collapsed when the
	// graph has more than CollapseAbove nodes.
	Expanded []string
	// CollapseAbove is the node count above which groups start collapsed;
	// 0 means the package default.
	CollapseAbove int
}

// Layout lays out g. It is deterministic: the same graph and options give
// the same View.
//
// PLACEHOLDER: a single column, to be replaced by the layered layout.
func Layout(ctx context.Context, g *model.Graph, opts Options) (*View, error) {
	v := &View{Nodes: []Node{}, Edges: []Edge{}, Groups: []Group{}}
	producer := map[string]string{}
	y := 0.0
	for i, n := range g.Nodes {
		id := "n" + strconv.Itoa(i)
		v.Nodes = append(v.Nodes, Node{ID: id, Kind: KindOp, Label: n.OpType, Name: n.Name, X: 0, Y: y, W: 120, H: 30, Index: i})
		y += 60
		for _, o := range n.Outputs {
			producer[o] = id
		}
	}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if p, ok := producer[in]; ok {
				v.Edges = append(v.Edges, Edge{From: p, To: "n" + strconv.Itoa(i), Value: in, Points: []float64{60, 0, 60, 0}})
			}
		}
	}
	v.Width, v.Height = 120, y
	v.Stats = Stats{ModelNodes: len(g.Nodes), ModelEdges: len(v.Edges), TotalNodes: len(g.Nodes)}
	return v, nil
}
