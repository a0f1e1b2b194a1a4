package shapeinfer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// hostileAttrs are attribute values a malicious file may hold.
var hostileAttrs = [][]model.Attribute{
	nil,
	{{Name: "axis", Type: model.AttrInt, Int: math.MinInt64}, {Name: "perm", Type: model.AttrInts, Ints: []int64{9, -9, 0}},
		{Name: "kernel_shape", Type: model.AttrInts, Ints: []int64{0, math.MaxInt64}}, {Name: "strides", Type: model.AttrInts, Ints: []int64{0, -1}},
		{Name: "pads", Type: model.AttrInts, Ints: []int64{-5, math.MaxInt64, 3, 4}}, {Name: "hidden_size", Type: model.AttrInt, Int: -3},
		{Name: "output_height", Type: model.AttrInt, Int: -2}, {Name: "ngram_indexes", Type: model.AttrInts, Ints: []int64{math.MaxInt64}}, {Name: "onesided", Type: model.AttrInt, Int: 1}},
	{{Name: "axis", Type: model.AttrInt, Int: 1 << 40}, {Name: "axes", Type: model.AttrInts, Ints: []int64{0, 0, 7}},
		{Name: "keepdims", Type: model.AttrInt}, {Name: "split", Type: model.AttrInts, Ints: []int64{-1}},
		{Name: "auto_pad", Type: model.AttrString, String: "SAME_UPPER"}, {Name: "ceil_mode", Type: model.AttrInt, Int: 1},
		{Name: "value", Type: model.AttrTensor, Tensors: []*model.Tensor{nil}}, {Name: "to", Type: model.AttrInt, Int: -7}},
	{{Name: "value", Type: model.AttrTensor}, {Name: "blocksize", Type: model.AttrInt, Int: -2}, {Name: "reduction", Type: model.AttrString, String: "none"}},
}

// TestRulesSurviveHostileGraphs runs every shape rule and folder on nodes
// with missing, mistyped and absurd inputs, attributes and folded
// constants: inference must not panic.
func TestRulesSurviveHostileGraphs(t *testing.T) {
	shapes := []model.Shape{nil, {}, {model.IntDim(-4)}, {model.IntDim(0), {Param: "n"}, {}},
		model.ShapeOf([]int64{1, 3, 5, 5}), model.ShapeOf([]int64{math.MaxInt64, 2, 1, 1, 1})}
	consts := []*model.Tensor{{Name: "k", DType: "int64", Shape: []int64{3}, Values: nil}}
	var ops [][2]string // domain, op
	for op := range rules {
		ops = append(ops, [2]string{"", op})
	}
	for k := range domainRules {
		d, op, _ := strings.Cut(k, "::")
		ops = append(ops, [2]string{d, op})
	}
	for _, do := range ops {
		domain, op := do[0], do[1]
		for _, attrs := range hostileAttrs {
			for nIn := 0; nIn <= 9; nIn++ {
				g := &model.Graph{Initializers: consts}
				n := &model.Node{Domain: domain, OpType: op, Attrs: attrs, Outputs: []string{"y", "z", ""}}
				for i := range nIn {
					name := fmt.Sprint("i", i)
					if i%3 == 2 {
						name = ""
					}
					n.Inputs = append(n.Inputs, name)
					g.Inputs = append(g.Inputs, &model.Value{Name: name, Type: &model.Type{Kind: model.KindTensor, DType: "int64", Shape: shapes[(i+nIn)%len(shapes)]}})
				}
				g.Nodes = []*model.Node{n, {OpType: "Shape", Inputs: []string{"y"}, Outputs: []string{"s"}},
					{OpType: "Constant", Attrs: []model.Attribute{{Name: "value_ints", Type: model.AttrInts, Ints: []int64{-1, 0, math.MinInt64, 1 << 62}}}, Outputs: []string{"c"}},
					{Domain: domain, OpType: op, Inputs: []string{"i0", "s", "s", "s", "s"}, Attrs: attrs, Outputs: []string{"w"}},
					{Domain: domain, OpType: op, Inputs: []string{"c", "c", "c", "c", "c", "c", "c", "c"}, Attrs: attrs, Outputs: []string{"v", "u"}}}
				Infer(context.Background(), g, Options{})
			}
		}
	}
}

// TestRecursiveFunctionsEnd infers a call of a local function whose body
// calls itself twice, and one whose body refers to an attribute the call
// does not set: inference must end (the call budget and depth bound it)
// and leave the outputs unknown where the body cannot be instantiated.
func TestRecursiveFunctionsEnd(t *testing.T) {
	x := &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.ShapeOf([]int64{2, 3})}
	self := &model.Graph{Name: "d::f", Inputs: []*model.Value{{Name: "a"}}, Outputs: []*model.Value{{Name: "c"}},
		Nodes: []*model.Node{
			{Domain: "d", OpType: "f", Inputs: []string{"a"}, Outputs: []string{"b"}},
			{Domain: "d", OpType: "f", Inputs: []string{"b"}, Outputs: []string{"b2"}},
			{OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"c"}},
		}}
	refs := &model.Graph{Name: "d::g", Inputs: []*model.Value{{Name: "a"}}, Outputs: []*model.Value{{Name: "c"}},
		Nodes: []*model.Node{{OpType: "Transpose", Inputs: []string{"a"}, Outputs: []string{"c"},
			Attrs: []model.Attribute{{Name: "perm", Type: model.AttrRef, RefName: "order"}}}}}
	m := &model.Model{Functions: []*model.Graph{self, refs}, Graph: &model.Graph{
		Inputs: []*model.Value{{Name: "x", Type: x}},
		Nodes: []*model.Node{
			{Domain: "d", OpType: "f", Inputs: []string{"x"}, Outputs: []string{"y"}},
			{Domain: "d", OpType: "g", Inputs: []string{"x"}, Outputs: []string{"z"}},
			{Domain: "d", OpType: "g", Inputs: []string{"x"}, Outputs: []string{"w"},
				Attrs: []model.Attribute{{Name: "order", Type: model.AttrInts, Ints: []int64{1, 0}}}},
		}}}
	in := Fill(context.Background(), m, Options{})
	if got := in.Type("y"); got == nil || !slices.Equal(got.Shape, x.Shape) {
		t.Errorf("y: %v, want the Relu's %v", got, x.Shape)
	}
	if got := in.Type("z"); got != nil {
		t.Errorf("z: %v from a body with an unbound attribute", got)
	}
	if got := in.Type("w"); got == nil || !slices.Equal(got.Shape, model.ShapeOf([]int64{3, 2})) {
		t.Errorf("w: %v, want [3 2] with perm bound to the call's order", got)
	}
}
