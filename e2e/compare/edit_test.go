// Package compare_test proves the comparison engine on ONNX files written
// at test time: a model against a copy with known edits.
package compare_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// The edits made to the copy.
const (
	editedNode    = "/features/pool/MaxPool" // strides [2,2] → [1,1]
	removedNode   = "/features/relu1/Relu"   // its consumer reads conv1 directly
	insertedNode  = "/features/extra/Relu"   // between conv2 and bn
	perturbed     = "classifier.fc.weight"   // one value + 0.5
	perturbAmount = 0.5
)

func writeONNX(t *testing.T, name string, m *model.Model, data map[string][]float32) *model.Model {
	t.Helper()
	b, err := fixture.EncodeONNX(m, data)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := all.Registry().Open(context.Background(), p)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return out
}

func nodeByName(t *testing.T, g *model.Graph, name string) int {
	t.Helper()
	i := slices.IndexFunc(g.Nodes, func(n *model.Node) bool { return n.Name == name })
	if i < 0 {
		t.Fatalf("the sample has no node %s", name)
	}
	return i
}

// edit applies the four edits to a fresh sample.
func edit(t *testing.T) (*model.Model, map[string][]float32) {
	m, data := fixture.Sample()
	g := m.Graph
	for k, a := range g.Nodes[nodeByName(t, g, editedNode)].Attrs {
		if a.Name == "strides" {
			g.Nodes[nodeByName(t, g, editedNode)].Attrs[k].Ints = []int64{1, 1}
		}
	}
	r := nodeByName(t, g, removedNode)
	relu := g.Nodes[r]
	for _, n := range g.Nodes {
		for k, in := range n.Inputs {
			if in == relu.Outputs[0] {
				n.Inputs[k] = relu.Inputs[0]
			}
		}
	}
	g.Nodes = slices.Delete(g.Nodes, r, r+1)
	bn := g.Nodes[nodeByName(t, g, "/features/bn/BatchNormalization")]
	extra := &model.Node{Name: insertedNode, OpType: "Relu", Inputs: []string{bn.Inputs[0]}, Outputs: []string{"extra_out"}}
	for _, v := range g.ValueInfo {
		if v.Name == bn.Inputs[0] {
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: "extra_out", Type: v.Type})
			break
		}
	}
	bn.Inputs[0] = "extra_out"
	g.Nodes = slices.Insert(g.Nodes, nodeByName(t, g, "/features/bn/BatchNormalization"), extra)
	data[perturbed][3] += perturbAmount
	return m, data
}

// TestEditedCopy: exactly the four edits are reported.
func TestEditedCopy(t *testing.T) {
	ma, da := fixture.Sample()
	mb, db := edit(t)
	a := writeONNX(t, "a.onnx", ma, da)
	b := writeONNX(t, "b.onnx", mb, db)
	r, err := compare.Models(context.Background(), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Equal {
		t.Fatal("the edited copy compares equal")
	}
	if !slices.Equal(r.Nodes.Added, []string{insertedNode}) || !slices.Equal(r.Nodes.Removed, []string{removedNode}) {
		t.Errorf("added %q removed %q, want [%s] and [%s]", r.Nodes.Added, r.Nodes.Removed, insertedNode, removedNode)
	}
	if r.Nodes.Matched != len(a.Graph.Nodes)-1 {
		t.Errorf("matched %d nodes, want %d", r.Nodes.Matched, len(a.Graph.Nodes)-1)
	}
	checkChangedNodes(t, r.Nodes.Changed)
	if len(r.Weights.Added)+len(r.Weights.Removed) != 0 || len(r.Weights.Changed) != 1 {
		t.Fatalf("weights: %+v, want one changed", r.Weights)
	}
	w := r.Weights.Changed[0]
	if w.A != perturbed || w.Kind != "values" || w.MaxAbsDiff == nil || w.Cosine == nil || w.MeanAbsDiff == nil {
		t.Fatalf("weight change %+v, want %s with value statistics", w, perturbed)
	}
	n, _ := model.NumElements(w.ShapeA)
	if math.Abs(*w.MaxAbsDiff-perturbAmount) > 1e-6 || math.Abs(*w.MeanAbsDiff-*w.MaxAbsDiff/float64(n)) > 1e-6 || *w.Cosine >= 1 {
		t.Errorf("statistics max %v mean %v cosine %v, want max %v over %d values", *w.MaxAbsDiff, *w.MeanAbsDiff, *w.Cosine, perturbAmount, n)
	}
}

// checkChangedNodes expects the pool's attribute and the classifier's
// weight, nothing else.
func checkChangedNodes(t *testing.T, changed []compare.NodeChange) {
	t.Helper()
	want := map[string]int{editedNode: 1, "/classifier/fc/Gemm": 1}
	for _, c := range changed {
		if want[c.A] == 0 || c.A != c.B || len(c.Changes) != 1 {
			t.Errorf("unexpected change %+v", c)
			continue
		}
		want[c.A]--
		if c.A == editedNode && c.Changes[0] != "attribute strides [2,2] → [1,1]" {
			t.Errorf("%s: %q", c.A, c.Changes[0])
		}
	}
	for name, left := range want {
		if left != 0 {
			t.Errorf("%s not reported as changed", name)
		}
	}
}
