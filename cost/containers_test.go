package cost_test

import (
	"context"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// TestWeightContainers checks every manifest file drawn as weight
// containers only (a weight-only file's module tree): its modules perform
// nothing, so the cost has no MACs and no unknown node, and its params are
// the weights' elements.
func TestWeightContainers(t *testing.T) {
	n := 0
	for _, e := range testenv.ManifestEntries(t, "gguf", "safetensors", "safetensors-index", "pytorch", "numpy", "keras") {
		if !e.Valid() {
			continue
		}
		m := open(t, e.Abs())
		g := m.Graph
		if g == nil || len(g.Nodes) == 0 || slices.ContainsFunc(g.Nodes, func(n *model.Node) bool { return !n.Container }) {
			continue
		}
		n++
		var elements int64
		for _, tn := range g.Initializers {
			k, _ := model.NumElements(tn.Shape)
			elements += k
		}
		r := cost.Model(context.Background(), m, cost.Options{})
		if r.MACs != 0 || r.OtherOps != 0 || r.UnknownNodes != 0 || r.Params != elements {
			t.Errorf("%s: %d MACs, %d other ops, %d unknown nodes, %d params; want 0, 0, 0, %d",
				e.Name(), r.MACs, r.OtherOps, r.UnknownNodes, r.Params, elements)
		}
	}
	if n == 0 {
		t.Fatal("no manifest file drawn as weight containers")
	}
	t.Logf("%d files drawn as weight containers", n)
}
