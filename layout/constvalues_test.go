package layout

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
)

// f32File writes little-endian float32 values to a file and returns a
// Location of them.
func f32File(t *testing.T, vs ...float32) *model.Location {
	t.Helper()
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	p := filepath.Join(t.TempDir(), "w.bin")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return &model.Location{File: p, Length: int64(len(b)), Encoding: model.EncRaw}
}

// TestInlineConstantValues lays out a graph whose tiny constants (a
// scalar initializer on disk, Constant attributes, a 2-element list) must
// show as values on their consumer, while a 7-element weight keeps its
// shape, and a fused activation must be on the op's title.
func TestInlineConstantValues(t *testing.T) {
	g := &model.Graph{
		Inputs:  []*model.Value{{Name: "x", Type: &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.ShapeOf([]int64{1, 7})}}},
		Outputs: []*model.Value{{Name: "y"}},
		Nodes: []*model.Node{
			node("c0", "Constant", nil, "axes"),
			node("sq", "Unsqueeze", []string{"x", "axes"}, "u"),
			node("c1", "Constant", nil, "half"),
			node("mul", "Mul", []string{"u", "half"}, "m"),
			node("add", "Add", []string{"m", "bias"}, "a"),
			node("sub", "Sub", []string{"a", "w7"}, "y"),
		},
		Initializers: []*model.Tensor{
			{Name: "bias", DType: "float32", Shape: []int64{}, Location: f32File(t, 0.25)},
			{Name: "w7", DType: "float32", Shape: []int64{7}, Location: f32File(t, 1, 2, 3, 4, 5, 6, 7)},
		},
	}
	g.Nodes[0].Attrs = []model.Attribute{{Name: "value_ints", Type: model.AttrInts, Ints: []int64{1, 2}}}
	g.Nodes[2].Attrs = []model.Attribute{{Name: "value_float", Type: model.AttrFloat, Float: 0.5}}
	g.Nodes[5].Attrs = []model.Attribute{{Name: "fused_activation_function", Type: model.AttrString, String: "RELU6"}}
	v := mustLayout(t, g, Options{})
	want := map[string][]string{"n1": {"axes = [1, 2]"}, "n3": {"B = 0.5"}, "n4": {"B = 0.25"}, "n5": {"B 7"}}
	for id, lines := range want {
		if n := findNode(v, id); n == nil || !slices.Equal(n.Lines, lines) {
			t.Errorf("%s lines %v, want %v", id, n, lines)
		}
	}
	if n := findNode(v, "n5"); n == nil || n.Label != "Sub + RELU6" {
		t.Errorf("fused activation not on the title: %+v", n)
	}
	if v.Stats.InlinedNodes != 2 {
		t.Errorf("inlined %d Constant nodes, want 2", v.Stats.InlinedNodes)
	}
}

// TestConstReadBudget checks that a layout stops reading values from the
// file once its budget is spent, and that values already in the IR cost
// nothing.
func TestConstReadBudget(t *testing.T) {
	loc := f32File(t, 3)
	cr := constReader{left: 2}
	disk := &model.Tensor{Name: "s", DType: "float32", Shape: []int64{}, Location: loc}
	for i, want := range []string{"= 3", "= 3", "scalar", "scalar"} {
		if got := cr.tensorText(disk); got != want {
			t.Errorf("read %d: %q, want %q", i, got, want)
		}
	}
	inIR := &model.Tensor{Name: "k", DType: "int64", Shape: []int64{2}, Values: []float64{4, -1}}
	if got := cr.tensorText(inIR); got != "= [4, -1]" {
		t.Errorf("values in the IR past the budget: %q", got)
	}
	str := &model.Tensor{Name: "t", DType: "string", Shape: []int64{}, Location: loc}
	if got := (&constReader{left: 10}).tensorText(str); got != "scalar" {
		t.Errorf("string tensor: %q", got)
	}
}

// TestCorpusInlineValues lays out the corpus transformer export, whose
// attention scales and reshape targets are tiny Constants: every tiny
// Constant drawn inside its consumer must show its values there.
func TestCorpusInlineValues(t *testing.T) {
	p := filepath.Join(testenv.Corpus(t), "onnx", "torch", "transformer_encoder_2x64.onnx")
	m, err := onnx.Open(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	v := mustLayout(t, m.Graph, Options{ExpandAll: true})
	valued := 0
	for _, n := range v.Nodes {
		for _, l := range n.Lines {
			if strings.Contains(l, " = ") {
				valued++
			}
		}
	}
	tiny := 0
	for _, n := range m.Graph.Nodes {
		if ct := model.ConstantTensor(n); ct != nil && model.InlineValues(ct) != nil {
			tiny++
		}
	}
	t.Logf("%d lines with values, %d tiny Constant nodes", valued, tiny)
	if valued == 0 || valued > tiny+len(m.Graph.Initializers) {
		t.Errorf("%d value lines for %d tiny Constant nodes", valued, tiny)
	}
}
