package webtest

import (
	"github.com/modelpeek/modelpeek/model"
)

// SamplePath is the bundled sample model, relative to the module root.
const SamplePath = "assets/web/sample.onnx"

// Sample returns the bundled sample model: a tiny image classifier (two
// convolutions, batch normalisation, pooling, a classifier) with an If whose
// branches scale the logits by a temperature, so a first-time user sees
// weights, attributes, groups and a subgraph. data holds the weights'
// values, deterministic pseudo-random numbers.
func Sample() (m *model.Model, data map[string][]float32) {
	data = map[string][]float32{}
	seed := uint32(20240611)
	rnd := func() float32 {
		seed = seed*1664525 + 1013904223
		return float32(int32(seed>>8)%2000-1000) / 4000
	}
	b := newBuilder("tiny_cnn")
	w := func(name string, shape ...int64) string {
		n, _ := model.NumElements(shape)
		v := make([]float32, n)
		for i := range v {
			v[i] = rnd()
		}
		data[name] = v
		return b.weight(name, shape...)
	}
	x := b.input("image", ftype(1, 3, 32, 32))
	useT := b.input("use_temperature", &model.Type{Kind: model.KindTensor, DType: "bool", Shape: model.Shape{}})
	conv := []model.Attribute{ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), ints("strides", 1, 1)}
	x = b.op("/features/conv1", "Conv", ftype(1, 8, 32, 32), conv, x, w("features.conv1.weight", 8, 3, 3, 3), w("features.conv1.bias", 8))
	x = b.op("/features/relu1", "Relu", ftype(1, 8, 32, 32), nil, x)
	x = b.op("/features/pool", "MaxPool", ftype(1, 8, 16, 16), []model.Attribute{ints("kernel_shape", 2, 2), ints("strides", 2, 2)}, x)
	x = b.op("/features/conv2", "Conv", ftype(1, 16, 16, 16), conv, x, w("features.conv2.weight", 16, 8, 3, 3), w("features.conv2.bias", 16))
	x = b.op("/features/bn", "BatchNormalization", ftype(1, 16, 16, 16), []model.Attribute{floatAttr("epsilon", 1e-5), floatAttr("momentum", 0.9)},
		x, w("features.bn.weight", 16), w("features.bn.bias", 16), w("features.bn.running_mean", 16), w("features.bn.running_var", 16))
	x = b.op("/features/relu2", "Relu", ftype(1, 16, 16, 16), nil, x)
	x = b.op("/classifier/pool", "GlobalAveragePool", ftype(1, 16, 1, 1), nil, x)
	x = b.op("/classifier", "Flatten", ftype(1, 16), []model.Attribute{intAttr("axis", 1)}, x)
	logits := b.op("/classifier/fc", "Gemm", ftype(1, 10), []model.Attribute{floatAttr("alpha", 1), floatAttr("beta", 1), intAttr("transB", 1)},
		x, w("classifier.fc.weight", 10, 16), w("classifier.fc.bias", 10))

	then := &model.Graph{
		Name:         "scale_by_temperature",
		Nodes:        []*model.Node{{Name: "/temperature/Div", OpType: "Div", Inputs: []string{logits, "temperature"}, Outputs: []string{"scaled_then"}}},
		Outputs:      []*model.Value{{Name: "scaled_then", Type: ftype(1, 10)}},
		Initializers: []*model.Tensor{{Name: "temperature", DType: "float32", Shape: []int64{}}},
	}
	data["temperature"] = []float32{2}
	els := &model.Graph{
		Name:    "keep_logits",
		Nodes:   []*model.Node{{Name: "/temperature/Identity", OpType: "Identity", Inputs: []string{logits}, Outputs: []string{"scaled_else"}}},
		Outputs: []*model.Value{{Name: "scaled_else", Type: ftype(1, 10)}},
	}
	b.g.Nodes = append(b.g.Nodes, &model.Node{
		Name: "/temperature/If", OpType: "If", Inputs: []string{useT}, Outputs: []string{"scaled"},
		Attrs: []model.Attribute{
			{Name: "then_branch", Type: model.AttrGraph, Graphs: []*model.Graph{then}},
			{Name: "else_branch", Type: model.AttrGraph, Graphs: []*model.Graph{els}},
		},
	})
	b.types["scaled"] = ftype(1, 10)
	b.g.ValueInfo = append(b.g.ValueInfo, &model.Value{Name: "scaled", Type: ftype(1, 10)})
	b.g.Nodes = append(b.g.Nodes, &model.Node{Name: "/Softmax", OpType: "Softmax", Inputs: []string{"scaled"}, Outputs: []string{"probs"}, Attrs: []model.Attribute{intAttr("axis", 1)}})
	b.types["probs"] = ftype(1, 10)
	b.output("probs")
	m = &model.Model{
		Format:      "onnx",
		Producer:    "modelpeek sample generator",
		Version:     "8",
		Description: "A tiny image classifier bundled with modelpeek so that there is something to look at. Drop your own model files on the page to open them.",
		Opsets:      []model.Opset{{Version: 17}},
		Metadata:    map[string]string{"author": "modelpeek", "license": "CC0-1.0", "task": "image classification (10 classes)"},
		Graph:       b.g,
	}
	return m, data
}
