package cost_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

func tensorType(dt model.DType, dims ...any) *model.Type {
	s := make(model.Shape, len(dims))
	for i, d := range dims {
		switch d := d.(type) {
		case int:
			s[i] = model.IntDim(int64(d))
		case string:
			s[i] = model.Dim{Param: d}
		}
	}
	return &model.Type{Kind: model.KindTensor, DType: dt, Shape: s}
}

func val(name string, t *model.Type) *model.Value { return &model.Value{Name: name, Type: t} }

// chain is x[batch,8] → MatMul(W[8,16]) → Relu → MatMul(W2[16,4]) → y,
// with an unknown-shaped side branch.
func chain() *model.Graph {
	return &model.Graph{
		Inputs:  []*model.Value{val("x", tensorType("float32", "batch", 8))},
		Outputs: []*model.Value{val("y", tensorType("float32", "batch", 4))},
		ValueInfo: []*model.Value{
			val("h", tensorType("float32", "batch", 16)),
			val("r", tensorType("float32", "batch", 16)),
			val("u", &model.Type{Kind: model.KindTensor, DType: "float32"}),
		},
		Initializers: []*model.Tensor{
			{Name: "W", DType: "float32", Shape: []int64{8, 16}},
			{Name: "W2", DType: "int4", Shape: []int64{16, 4}},
		},
		Nodes: []*model.Node{
			{OpType: "MatMul", Inputs: []string{"x", "W"}, Outputs: []string{"h"}},
			{OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"r"}},
			{OpType: "MatMul", Inputs: []string{"r", "W2"}, Outputs: []string{"y"}},
			{OpType: "Sigmoid", Inputs: []string{"r"}, Outputs: []string{"u"}},
		},
	}
}

func TestChain(t *testing.T) {
	for _, batch := range []int64{1, 3} {
		opt := cost.Options{Dims: map[string]int64{"batch": batch}}
		if batch == 1 {
			opt = cost.Options{}
		}
		r := cost.Graph(context.Background(), chain(), opt)
		if want := batch * (8*16 + 16*4); r.MACs != want {
			t.Errorf("batch %d: MACs %d, want %d", batch, r.MACs, want)
		}
		if r.MACsFormula != "192·batch" || r.Symbols["batch"] != batch {
			t.Errorf("formula %q, symbols %v", r.MACsFormula, r.Symbols)
		}
		if r.Params != 8*16+16*4 || r.ParamBytes != 8*16*4+16*4/2 {
			t.Errorf("params %d, %d bytes", r.Params, r.ParamBytes)
		}
		if r.UnknownNodes != 1 || !r.Nodes[3].Unknown || !r.Nodes[3].BytesUnknown {
			t.Errorf("unknown nodes %d: %+v", r.UnknownNodes, r.Nodes[3])
		}
		// x (32 B a row) and h (64) live at node 0; h and r at 1 (the
		// peak); r and y (16) at 2 and 3.
		if want := batch * 4 * (16 + 16); r.PeakBytes != want {
			t.Errorf("batch %d: peak %d, want %d", batch, r.PeakBytes, want)
		}
		if r.OtherOps != batch*16 || r.Nodes[1].ActivationBytes != batch*64 {
			t.Errorf("other ops %d, relu bytes %d", r.OtherOps, r.Nodes[1].ActivationBytes)
		}
	}
}

func TestRules(t *testing.T) {
	f := model.DType("float32")
	cases := []struct {
		name string
		node *model.Node
		vals []*model.Value
		want int64
	}{
		{"conv groups", &model.Node{OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"y"}},
			[]*model.Value{val("x", tensorType(f, 1, 8, 5, 5)), val("w", tensorType(f, 4, 2, 3, 3)), val("y", tensorType(f, 1, 4, 3, 3))},
			4 * 3 * 3 * 2 * 3 * 3},
		{"conv transpose", &model.Node{OpType: "ConvTranspose", Inputs: []string{"x", "w"}, Outputs: []string{"y"}},
			[]*model.Value{val("x", tensorType(f, 1, 2, 4, 4)), val("w", tensorType(f, 2, 3, 2, 2)), val("y", tensorType(f, 1, 3, 8, 8))},
			2 * 4 * 4 * 3 * 2 * 2},
		{"gemm transA", &model.Node{OpType: "Gemm", Inputs: []string{"a", "b"}, Outputs: []string{"y"},
			Attrs: []model.Attribute{{Name: "transA", Type: model.AttrInt, Int: 1}}},
			[]*model.Value{val("a", tensorType(f, 7, 2)), val("b", tensorType(f, 7, 5)), val("y", tensorType(f, 2, 5))},
			2 * 5 * 7},
		{"batched matmul", &model.Node{OpType: "MatMul", Inputs: []string{"a", "b"}, Outputs: []string{"y"}},
			[]*model.Value{val("a", tensorType(f, 3, 2, 6)), val("b", tensorType(f, 6, 4)), val("y", tensorType(f, 3, 2, 4))},
			3 * 2 * 4 * 6},
		{"einsum ellipsis", &model.Node{OpType: "Einsum", Inputs: []string{"a", "b"}, Outputs: []string{"y"},
			Attrs: []model.Attribute{{Name: "equation", Type: model.AttrString, String: "...ij,...jk->...ik"}}},
			[]*model.Value{val("a", tensorType(f, 5, 2, 3)), val("b", tensorType(f, 1, 3, 4)), val("y", tensorType(f, 5, 2, 4))},
			5 * 2 * 3 * 4},
		{"attention 4d", &model.Node{OpType: "Attention", Inputs: []string{"q", "k", "v"}, Outputs: []string{"y"}},
			[]*model.Value{val("q", tensorType(f, 2, 4, 10, 8)), val("k", tensorType(f, 2, 2, 12, 8)), val("v", tensorType(f, 2, 2, 12, 6)), val("y", tensorType(f, 2, 4, 10, 6))},
			2 * 4 * 10 * 12 * (8 + 6)},
		{"lstm", &model.Node{OpType: "LSTM", Inputs: []string{"x", "w", "r"}, Outputs: []string{"y"}},
			[]*model.Value{val("x", tensorType(f, 7, 2, 5)), val("w", tensorType(f, 2, 12, 5)), val("r", tensorType(f, 2, 12, 3)), val("y", tensorType(f, 7, 2, 2, 3))},
			7 * 2 * (2*12*5 + 2*12*3)},
		{"tflite conv nhwc", &model.Node{OpType: "CONV_2D", Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}},
			[]*model.Value{val("x", tensorType(f, 1, 5, 5, 3)), val("w", tensorType(f, 4, 3, 3, 3)), val("y", tensorType(f, 1, 5, 5, 4))},
			5 * 5 * 4 * 3 * 3 * 3},
		{"tflite depthwise", &model.Node{OpType: "DEPTHWISE_CONV_2D", Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}},
			[]*model.Value{val("x", tensorType(f, 1, 5, 5, 3)), val("w", tensorType(f, 1, 3, 3, 3)), val("y", tensorType(f, 1, 3, 3, 3))},
			3 * 3 * 3 * 3 * 3},
		{"openvino group conv", &model.Node{OpType: "GroupConvolution", Inputs: []string{"x", "w"}, Outputs: []string{"y"}},
			[]*model.Value{val("x", tensorType(f, 1, 8, 6, 6)), val("w", tensorType(f, 2, 3, 4, 3, 3)), val("y", tensorType(f, 1, 6, 4, 4))},
			6 * 4 * 4 * 4 * 3 * 3},
		{"torch.export linear", &model.Node{OpType: "torch.ops.aten.linear.default", Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}},
			[]*model.Value{val("x", tensorType(f, "s0", 8)), val("w", tensorType(f, 16, 8)), val("y", tensorType(f, "s0", 16))},
			16 * 8},
		{"executorch addmm", &model.Node{OpType: "addmm.out", Inputs: []string{"b", "a", "w"}, Outputs: []string{"y"}},
			[]*model.Value{val("a", tensorType(f, 2, 4)), val("w", tensorType(f, 4, 3)), val("y", tensorType(f, 2, 3))},
			2 * 3 * 4},
	}
	for _, c := range cases {
		g := &model.Graph{ValueInfo: c.vals, Nodes: []*model.Node{c.node}}
		r := cost.Graph(context.Background(), g, cost.Options{})
		if r.MACs != c.want || r.UnknownNodes != 0 {
			t.Errorf("%s: %d MACs (unknown %d), want %d", c.name, r.MACs, r.UnknownNodes, c.want)
		}
	}
}

// TestSymbolicBatch: resnet18's batch dim stays a symbol in the formula
// and scales the figures when set.
func TestSymbolicBatch(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "onnx") {
		if !strings.HasSuffix(e.Path, "torchvision/resnet18_external_data_missing/resnet18.onnx") {
			continue
		}
		m := open(t, e.Abs())
		one := cost.Model(context.Background(), m, cost.Options{})
		four := cost.Model(context.Background(), m, cost.Options{Dims: map[string]int64{"batch": 4}})
		if !strings.HasSuffix(one.MACsFormula, "·batch") || one.Symbols["batch"] != 1 {
			t.Errorf("formula %q, symbols %v", one.MACsFormula, one.Symbols)
		}
		// the peak holds small shape tensors that do not grow with batch
		if four.MACs != 4*one.MACs || four.PeakBytes <= 3*one.PeakBytes || four.Params != one.Params {
			t.Errorf("batch 4: %d MACs, peak %d; batch 1: %d, %d", four.MACs, four.PeakBytes, one.MACs, one.PeakBytes)
		}
		return
	}
	t.Fatal("resnet18 export not in the manifest")
}
