package layout

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestGroupSizeLine collapses the groups of a graph of two blocks whose
// nodes share a tied weight: each collapsed block says its node count and
// the parameters and bytes of the weights it consumes first.
func TestGroupSizeLine(t *testing.T) {
	g := &model.Graph{Inputs: []*model.Value{{Name: "x"}}}
	prev := "x"
	for b := 0; b < 2; b++ {
		for _, op := range []string{"q", "k", "v"} {
			name := fmt.Sprintf("blk.%d.%s", b, op)
			w := name + ".weight"
			g.Initializers = append(g.Initializers, &model.Tensor{Name: w, DType: "float16", Shape: []int64{1000, 1000}})
			g.Nodes = append(g.Nodes, &model.Node{Name: name, OpType: "MatMul", Inputs: []string{prev, w, "shared"}, Outputs: []string{name}})
			prev = name
		}
	}
	g.Initializers = append(g.Initializers, &model.Tensor{Name: "shared", DType: "float32", Shape: []int64{100000}})
	v, err := Layout(context.Background(), g, Options{CollapseAbove: 1, Collapsed: []string{"g:blk.0", "g:blk.1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"g:blk.0": {"3 nodes", "3.10M params · 6.10 MiB"}, // with the shared float32 tensor
		"g:blk.1": {"3 nodes", "3.00M params · 5.72 MiB"},
	}
	for _, n := range v.Nodes {
		if w, ok := want[n.ID]; ok {
			delete(want, n.ID)
			if !slices.Equal(n.Lines, w) {
				t.Errorf("%s lines %q, want %q", n.ID, n.Lines, w)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("groups not drawn collapsed: %v", want)
	}
}
