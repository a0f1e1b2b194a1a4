package model

import (
	"slices"
	"testing"
)

// TestCountParamsGroupsAndSharing counts a graph whose names share a
// prefix, with a function graph reusing one tensor's bytes: groups drop
// the shared prefix and keep layer numbers, the total counts shared data
// once, bytes come from the data or the dtype.
func TestCountParamsGroupsAndSharing(t *testing.T) {
	loc := &Location{File: "/m.bin", Offset: 0, Length: 400}
	w := &Tensor{Name: "model.layers.0.w", DType: "float32", Shape: []int64{10, 10}, Location: loc}
	m := &Model{
		Graph: &Graph{Initializers: []*Tensor{
			w,
			{Name: "model.layers.1.w", DType: "float32", Shape: []int64{10, 10}, Location: &Location{File: "/m.bin", Offset: 400, Length: 400}},
			{Name: "model.norm.w", DType: "float16", Shape: []int64{10}},
		}},
		Functions: []*Graph{{Name: "sig", Initializers: []*Tensor{{Name: "again", DType: "float32", Shape: []int64{100}, Location: loc}}}},
	}
	p := CountParams(m)
	if p.Total != (ParamCount{Tensors: 3, Params: 210, Bytes: 820}) {
		t.Errorf("total %+v", p.Total)
	}
	if len(p.Graphs) != 2 || p.Graphs[0].Params != 210 || p.Graphs[1].Params != 100 || p.Graphs[1].Path != "f0" || p.Graphs[1].Name != "sig" {
		t.Errorf("graphs %+v", p.Graphs)
	}
	var names []string
	for _, g := range p.Groups {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, []string{"layers.0", "layers.1", "norm"}) {
		t.Errorf("groups %v", names)
	}
	if p := CountParams(&Model{}); p.Total.Tensors != 0 || p.Graphs == nil || p.Groups == nil {
		t.Errorf("empty model: %+v", p)
	}
}

// TestExporterNamedWeightsGroupedByConsumer checks that weights with
// exporter-made names ("onnx::Conv_7") join the module of the node
// consuming them, through an Identity node too.
func TestExporterNamedWeightsGroupedByConsumer(t *testing.T) {
	g := &Graph{
		Nodes: []*Node{
			{Name: "/features/features.4/block/block.3/Conv", OpType: "Conv", Inputs: []string{"x", "onnx::Conv_7"}, Outputs: []string{"y"}},
			{Name: "Identity_1", OpType: "Identity", Inputs: []string{"onnx::Conv_8"}, Outputs: []string{"b"}},
			{Name: "/classifier/classifier.0/Gemm", OpType: "Gemm", Inputs: []string{"y", "b"}, Outputs: []string{"z"}},
		},
		Initializers: []*Tensor{
			{Name: "onnx::Conv_7", DType: "float32", Shape: []int64{4}},
			{Name: "onnx::Conv_8", DType: "float32", Shape: []int64{2}},
			{Name: "features.10.weight", DType: "float32", Shape: []int64{3}},
		},
	}
	var got []string
	for _, s := range CountParams(&Model{Graph: g}).Groups {
		got = append(got, s.Name)
	}
	if !slices.Equal(got, []string{"features.4", "features.10", "classifier.0"}) {
		t.Errorf("groups %v", got)
	}
}
