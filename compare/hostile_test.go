package compare_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/model"
)

// wideGraph has n producers feeding one Concat, and a cycle of two nodes
// (malformed, but a file may say so), nil nodes, tensors and graphs;
// named or not.
func wideGraph(n int, named bool) *model.Model {
	g := &model.Graph{}
	ins := make([]string, n)
	for i := range n {
		ins[i] = "v" + strconv.Itoa(i)
		name := ""
		if named {
			name = "relu" + strconv.Itoa(i)
		}
		g.Nodes = append(g.Nodes, &model.Node{Name: name, OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{ins[i]}})
	}
	g.Nodes = append(g.Nodes,
		&model.Node{OpType: "Concat", Inputs: ins, Outputs: []string{"y"}},
		&model.Node{OpType: "Add", Inputs: []string{"c2", "y"}, Outputs: []string{"c1"}},
		&model.Node{OpType: "Add", Inputs: []string{"c1"}, Outputs: []string{"c2"}},
		nil,
		&model.Node{OpType: "If", Attrs: []model.Attribute{{Name: "g", Type: model.AttrGraphs, Graphs: []*model.Graph{nil}},
			{Name: "t", Type: model.AttrTensors, Tensors: []*model.Tensor{nil}}}},
	)
	g.Initializers = []*model.Tensor{nil, {Name: "w"}}
	return &model.Model{Format: "onnx", Graph: g}
}

// TestHostileShapes: a 50,000-wide fan-in, a cycle and a nil node are
// compared without a panic and in bounded time.
func TestHostileShapes(t *testing.T) {
	start := time.Now()
	r, err := compare.Models(context.Background(), wideGraph(50000, true), wideGraph(50000, false))
	if err != nil {
		t.Fatal(err)
	}
	// A hang bound: about 0.3 s here; a quadratic fan-in would take minutes.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if r.Nodes.Matched < 50000 {
		t.Errorf("matched %d nodes of 50,004", r.Nodes.Matched)
	}
	if _, err := compare.Models(context.Background(), &model.Model{}, wideGraph(3, true)); err != nil {
		t.Errorf("a model without a graph: %v", err)
	}
}
