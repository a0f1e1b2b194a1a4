package caffe

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// TestInPlaceChain checks that in-place layers (top == bottom) read the
// blob's previous version and write a new one, so the graph is a chain.
func TestInPlaceChain(t *testing.T) {
	src := `name: "chain"
input: "data" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
layer { name: "conv" type: "Convolution" bottom: "data" top: "x" convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
layer { name: "bn" type: "BatchNorm" bottom: "x" top: "x" }
layer { name: "relu" type: "ReLU" bottom: "x" top: "x" relu_param { negative_slope: 0.1 } }
layer { name: "fc" type: "InnerProduct" bottom: "x" top: "y" }
`
	m, err := decode(context.Background(), []byte(src), "/tmp/chain.prototxt")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"data", "x#0"}, {"x#0", "x#1"}, {"x#1", "x"}, {"x", "y"}}
	for i, n := range m.Graph.Nodes {
		if n.Inputs[0] != want[i][0] || n.Outputs[0] != want[i][1] {
			t.Errorf("%s: %v -> %v, want %v", n.Name, n.Inputs, n.Outputs, want[i])
		}
	}
	if m.Facts["inplace_layers"] != 2 {
		t.Errorf("inplace_layers %v", m.Facts["inplace_layers"])
	}
	if out := m.Graph.Outputs; len(out) != 1 || out[0].Name != "y" {
		t.Errorf("outputs %v", out)
	}
	conv := m.Graph.Nodes[0]
	if a := attr(conv, "num_output"); a == nil || a.Type != model.AttrInt || a.Int != 4 {
		t.Errorf("num_output %+v", a)
	}
	if a := attr(m.Graph.Nodes[2], "negative_slope"); a == nil || a.Type != model.AttrFloat {
		t.Errorf("negative_slope %+v", a)
	}
}

func attr(n *model.Node, name string) *model.Attribute {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}

// TestCaffemodelBlobs checks that a binary net's blobs are weights wired
// into their layers, located in the file, with named parameters, and
// that the prototxt beside it is listed.
func TestCaffemodelBlobs(t *testing.T) {
	path := filepath.Join(testenv.Corpus(t), "caffe", "pair", "tiny_resblock.caffemodel")
	m, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 2 || !strings.HasSuffix(m.Files[1], "tiny_resblock.prototxt") {
		t.Errorf("files %v", m.Files)
	}
	conv := m.Graph.Nodes[0]
	if !slices.Contains(conv.Inputs, "conv1.0") || !slices.Contains(conv.Inputs, "conv1.1") {
		t.Errorf("conv1 inputs %v", conv.Inputs)
	}
	if a := attr(conv, "num_output"); a == nil || a.Int != 4 {
		t.Errorf("conv1 num_output %+v", a)
	}
	w := m.Graph.Initializers[0]
	if w.Location == nil || w.Location.Length != 4*4*3*3*3 || w.Location.Encoding != model.EncRaw {
		t.Fatalf("conv1.0 location %+v", w.Location)
	}
	p, err := model.ReadPreview(w, 4)
	if err != nil || p == nil {
		t.Errorf("preview: %v", err)
	}
}

// TestV1Binary decodes a legacy binary net (V1 layers with enum types and
// 4-D blob shapes).
func TestV1Binary(t *testing.T) {
	blob := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 2)
	blob = protowire.AppendVarint(protowire.AppendTag(blob, 2, protowire.VarintType), 3)
	blob = protowire.AppendVarint(protowire.AppendTag(blob, 3, protowire.VarintType), 1)
	blob = protowire.AppendVarint(protowire.AppendTag(blob, 4, protowire.VarintType), 1)
	blob = protowire.AppendBytes(protowire.AppendTag(blob, 5, protowire.BytesType), make([]byte, 24))
	l := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), []byte("data"))
	l = protowire.AppendBytes(protowire.AppendTag(l, 3, protowire.BytesType), []byte("conv"))
	l = protowire.AppendBytes(protowire.AppendTag(l, 4, protowire.BytesType), []byte("conv1"))
	l = protowire.AppendVarint(protowire.AppendTag(l, 5, protowire.VarintType), 4)
	l = protowire.AppendBytes(protowire.AppendTag(l, 6, protowire.BytesType), blob)
	net := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte("old"))
	net = protowire.AppendBytes(protowire.AppendTag(net, 3, protowire.BytesType), []byte("data"))
	net = protowire.AppendBytes(protowire.AppendTag(net, 2, protowire.BytesType), l)
	if detect(net, int64(len(net))) == model.No {
		t.Fatal("not detected")
	}
	m, err := decode(context.Background(), net, "/tmp/old.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	s := model.Summarize(m)
	if s.Ops["CONVOLUTION"] != 1 || s.Metadata["layer_format"] != "V1" || len(s.Tensors) != 1 || !slices.Equal(s.Tensors[0].Shape, []int64{2, 3, 1, 1}) {
		t.Errorf("summary %+v", s)
	}
}

// TestHostileNets checks crafted nets are refused quickly.
func TestHostileNets(t *testing.T) {
	layer := protowire.AppendTag(nil, 100, protowire.BytesType)
	cases := map[string][]byte{
		"10^6 empty layers":      bytes.Repeat(append(layer, 0), 1_000_000),
		"layer length 2^62":      protowire.AppendVarint(append([]byte{0x0a, 1, 'n'}, layer...), 1<<62),
		"text unknown field":     []byte("name: \"x\"\nlayer { name: \"a\" layers { } }"),
		"text nested 5000 deep":  []byte("layer { " + strings.Repeat("convolution_param { ", 5000)),
		"text layer is a scalar": []byte("layer: 3"),
		"input_dim 2^18":         append([]byte("input: \"d\"\n"), bytes.Repeat([]byte("input_dim: 1\n"), 1<<18)...),
	}
	for name, b := range cases {
		start := time.Now()
		m, err := decode(context.Background(), b, "/tmp/hostile.caffemodel")
		if err == nil && name != "input_dim 2^18" {
			t.Errorf("%s: accepted (%d nodes)", name, len(m.Graph.Nodes))
		}
		if d := time.Since(start); d > 10*time.Second { // a hang bound: about 0.5s expected
			t.Errorf("%s: took %v", name, d)
		}
	}
}

// TestInputLayerChain checks that an Input layer is fed by the graph
// input of the same name and feeds the first layer.
func TestInputLayerChain(t *testing.T) {
	src := `layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 } } }
layer { name: "relu" type: "ReLU" bottom: "data" top: "out" }
`
	m, err := decode(context.Background(), []byte(src), "/tmp/in.prototxt")
	if err != nil {
		t.Fatal(err)
	}
	in, relu := m.Graph.Nodes[0], m.Graph.Nodes[1]
	if len(m.Graph.Inputs) != 1 || m.Graph.Inputs[0].Name != "data" {
		t.Fatalf("inputs %v", m.Graph.Inputs)
	}
	if !slices.Equal(in.Inputs, []string{"data"}) || !slices.Equal(in.Outputs, []string{"data#1"}) || !slices.Equal(relu.Inputs, []string{"data#1"}) {
		t.Errorf("Input %v -> %v, ReLU reads %v", in.Inputs, in.Outputs, relu.Inputs)
	}
}
