package executorch

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

func openCorpus(t *testing.T, rel string) *model.Model {
	t.Helper()
	m, err := Open(context.Background(), filepath.Join(testenv.Corpus(t), "executorch", rel))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func node(t *testing.T, g *model.Graph, op string) *model.Node {
	t.Helper()
	for _, n := range g.Nodes {
		if model.OpKey(n) == op {
			return n
		}
	}
	t.Fatalf("graph %q has no %s node", g.Name, op)
	return nil
}

func attr(n *model.Node, name string) *model.Attribute {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}

// TestWiring: instructions are wired by EValue index, outputs last, and
// constants in a segment after the extended header are located exactly.
func TestWiring(t *testing.T) {
	m := openCorpus(t, "segments/linear_constant_segment.pte")
	perm := node(t, m.Graph, "aten::permute_copy.out")
	mm := node(t, m.Graph, "aten::addmm.out")
	if !slices.Equal(perm.Inputs, []string{"0"}) || len(perm.Outputs) != 1 {
		t.Errorf("permute_copy %v -> %v", perm.Inputs, perm.Outputs)
	}
	if !slices.Contains(mm.Inputs, perm.Outputs[0]) || !slices.Contains(mm.Inputs, "2") || !slices.Equal(mm.Outputs, []string{"5"}) {
		t.Errorf("addmm %v -> %v", mm.Inputs, mm.Outputs)
	}
	var end int64
	for _, w := range m.Graph.Initializers {
		n, _ := nbytes(w)
		if w.Location == nil || w.Location.Length != n || w.Location.Offset < 8 {
			t.Fatalf("tensor %s: location %+v, want %d bytes", w.Name, w.Location, n)
		}
		end = max(end, w.Location.Offset+w.Location.Length)
	}
	if end > 956 {
		t.Errorf("constants end at %d, past the file", end)
	}
}

// TestMethods: the other plans are functions, in file order.
func TestMethods(t *testing.T) {
	m := openCorpus(t, "methods/add_mul_two_methods.pte")
	if m.Graph.Name != "forward" || len(m.Functions) != 1 || m.Functions[0].Name != "encode" || len(m.Functions[0].Nodes) != 1 {
		t.Errorf("main %q, functions %v", m.Graph.Name, m.Functions)
	}
	if a := attr(node(t, m.Graph, "aten::add.out"), "arg2"); a == nil || a.Type != model.AttrInt || a.Int != 1 {
		t.Errorf("add alpha attribute %+v", a)
	}
	m = openCorpus(t, "methods/predict_no_forward_two_chains.pte")
	if m.Graph.Name != "predict" || len(m.Graph.Nodes) != 3 {
		t.Errorf("main %q with %d nodes, want predict with 3 (two chains)", m.Graph.Name, len(m.Graph.Nodes))
	}
}

// TestDelegateAndControl: a delegate call shows its backend and blob; move,
// jump and free instructions are control nodes.
func TestDelegateAndControl(t *testing.T) {
	m := openCorpus(t, "delegate/xnnpack_delegate_then_relu.pte")
	del := node(t, m.Graph, "delegate:XnnpackBackend")
	blob := attr(del, "processed")
	if b := attr(del, "backend"); b == nil || b.String != "XnnpackBackend" {
		t.Errorf("backend attribute %+v", b)
	}
	if blob == nil || len(blob.Tensors) != 1 || blob.Tensors[0].Location == nil || blob.Tensors[0].Location.Length == 0 {
		t.Fatalf("blob attribute %+v", blob)
	}
	if sz := attr(del, "blob_bytes"); sz == nil || sz.Int != blob.Tensors[0].Location.Length {
		t.Errorf("blob_bytes %+v", sz)
	}
	m = openCorpus(t, "control/jump_move_free.pte")
	for _, op := range []string{"move", "jump_false", "free"} {
		if n := node(t, m.Graph, op); n.Category != "control" {
			t.Errorf("%s: category %q", op, n.Category)
		}
	}
	if d := attr(node(t, m.Graph, "jump_false"), "destination_instruction"); d == nil || d.Int != 3 {
		t.Errorf("jump destination %+v", d)
	}
}

// TestNamedData: an external constant stored in this file is found
// through Program.named_data by its fully qualified name.
func TestNamedData(t *testing.T) {
	m := openCorpus(t, "named/external_constant_named_data.pte")
	for _, w := range m.Graph.Initializers {
		if w.Location == nil {
			t.Errorf("tensor %s not located", w.Name)
		}
	}
}
