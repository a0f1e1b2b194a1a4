package keras

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// A Keras 3 functional model: two inputs, a layer shared by both, a
// concatenation, a Lambda (whose marshalled code must only be shown) and a
// custom layer from a package that is not installed.
const functionalConfig = `{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "func", "trainable": true,
 "layers": [
  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8], "dtype": "float32", "name": "in_a"}, "registered_name": null, "name": "in_a", "inbound_nodes": []},
  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8], "dtype": "float32", "name": "in_b"}, "name": "in_b", "inbound_nodes": []},
  {"module": "keras.layers", "class_name": "Dense", "config": {"name": "shared", "units": 4, "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}}, "name": "shared",
   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8], "dtype": "float32", "keras_history": ["in_a", 0, 0]}}], "kwargs": {}},
                     {"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8], "dtype": "float32", "keras_history": ["in_b", 0, 0]}}], "kwargs": {}}]},
  {"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "concat", "axis": -1}, "name": "concat",
   "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["shared", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["shared", 1, 0]}}]], "kwargs": {}}]},
  {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "lam", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMIAAAAdABqAQ==", "defaults": null, "closure": null}}}, "name": "lam",
   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["concat", 0, 0]}}], "kwargs": {}}]},
  {"module": "my_pkg.layers", "class_name": "MyCustom", "registered_name": "Custom>MyCustom", "config": {"name": "custom", "k": 3}, "name": "custom",
   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["lam", 0, 0]}}], "kwargs": {}}]}
 ],
 "input_layers": [["in_a", 0, 0], ["in_b", 0, 0]],
 "output_layers": [["custom", 0, 0], ["shared", 1, 0]]}}`

// The same kind of graph as Keras 2 writes it in an .h5 model_config.
const keras2Config = `{"class_name": "Model", "config": {"name": "m", "layers": [
 {"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "input_1"}, "inbound_nodes": []},
 {"name": "d", "class_name": "Dense", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["input_1", 0, 0, {}]]]},
 {"name": "e", "class_name": "Dense", "config": {"name": "e", "units": 2}, "inbound_nodes": [[["input_1", 0, 0, {}]]]},
 {"name": "add", "class_name": "Add", "config": {"name": "add"}, "inbound_nodes": [[["d", 0, 0, {}], ["e", 0, 0, {}]]]}],
 "input_layers": [["input_1", 0, 0]], "output_layers": [["add", 0, 0]]}}`

type nodeWant struct {
	name, op string
	inputs   []string
	outputs  []string
}

func checkNodes(t *testing.T, g *model.Graph, want []nodeWant) {
	t.Helper()
	if len(g.Nodes) != len(want) {
		t.Fatalf("%d nodes, want %d", len(g.Nodes), len(want))
	}
	for i, w := range want {
		n := g.Nodes[i]
		if n.Name != w.name || n.OpType != w.op || !slices.Equal(n.Inputs, w.inputs) || !slices.Equal(n.Outputs, w.outputs) {
			t.Errorf("node %d = %s %s %v -> %v, want %s %s %v -> %v", i, n.Name, n.OpType, n.Inputs, n.Outputs, w.name, w.op, w.inputs, w.outputs)
		}
	}
}

func TestFunctionalKeras3(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"metadata.json": `{"keras_version": "3.4.1", "date_saved": "2024-01-01@00:00:00"}`, "config.json": functionalConfig} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "func.keras")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if Detect(buf.Bytes(), int64(buf.Len())) != model.Strong {
		t.Error("not detected")
	}
	m, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	checkNodes(t, g, []nodeWant{
		{"shared", "Dense", []string{"in_a"}, []string{"shared"}},
		{"shared#1", "Dense", []string{"in_b"}, []string{"shared:1:0"}},
		{"concat", "Concatenate", []string{"shared", "shared:1:0"}, []string{"concat"}},
		{"lam", "Lambda", []string{"concat"}, []string{"lam"}},
		{"custom", "MyCustom", []string{"lam"}, []string{"custom"}},
	})
	var ins, outs []string
	for _, v := range g.Inputs {
		ins = append(ins, v.Name+v.Type.Shape.String())
	}
	for _, v := range g.Outputs {
		outs = append(outs, v.Name)
	}
	if !slices.Equal(ins, []string{"in_a[?,8]", "in_b[?,8]"}) || !slices.Equal(outs, []string{"custom", "shared:1:0"}) {
		t.Errorf("inputs %v outputs %v", ins, outs)
	}
	var infos []string
	for _, v := range g.ValueInfo {
		infos = append(infos, v.Name+string(v.Type.DType)+v.Type.Shape.String())
	}
	if !slices.Equal(infos, []string{"sharedfloat32[?,4]", "shared:1:0float32[?,4]"}) {
		t.Errorf("value types %v", infos)
	}
	lam := g.Nodes[3]
	if lam.Category != "custom" || !strings.Contains(attr(lam, "function"), "__lambda__") {
		t.Errorf("lambda shown as %s with function %q", lam.Category, attr(lam, "function"))
	}
	if custom := g.Nodes[4]; custom.Category != "custom" || attr(custom, "module") != "my_pkg.layers" {
		t.Errorf("custom layer: %s %v", custom.Category, custom.Attrs)
	}
	if units := g.Nodes[0].Attrs; !slices.ContainsFunc(units, func(a model.Attribute) bool { return a.Name == "units" && a.Int == 4 }) {
		t.Errorf("units attribute missing: %v", units)
	}
	joined := strings.Join(m.Warnings, "\n")
	if !strings.Contains(joined, "layer lam is a Lambda") || !strings.Contains(joined, "my_pkg.layers") {
		t.Errorf("risky layers not flagged: %v", m.Warnings)
	}
	if m.Producer != "Keras 3.4.1" {
		t.Errorf("producer %q", m.Producer)
	}
}

func attr(n *model.Node, name string) string {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.String
		}
	}
	return ""
}

func TestFunctionalKeras2(t *testing.T) {
	cm, err := parseConfig([]byte(keras2Config))
	if err != nil {
		t.Fatal(err)
	}
	g := cm.graph(nil, nil)
	checkNodes(t, g, []nodeWant{
		{"d", "Dense", []string{"input_1"}, []string{"d"}},
		{"e", "Dense", []string{"input_1"}, []string{"e"}},
		{"add", "Add", []string{"d", "e"}, []string{"add"}},
	})
	if len(g.Outputs) != 1 || g.Outputs[0].Name != "add" || len(g.Inputs) != 1 || g.Inputs[0].Name != "input_1" {
		t.Errorf("inputs %v outputs %v", g.Inputs, g.Outputs)
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{"LeakyReLU": "leaky_re_lu", "Dense": "dense", "BatchNormalization": "batch_normalization", "Conv2D": "conv2d", "GRU": "gru"} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestDeepNesting: models nested far deeper than the cap give a warning,
// not a stack overflow.
func TestDeepNesting(t *testing.T) {
	cfg := `{"class_name": "Dense", "config": {"name": "leaf", "units": 1}}`
	for i := 0; i < 1000; i++ {
		cfg = `{"class_name": "Sequential", "config": {"name": "s", "layers": [` + cfg + `]}}`
	}
	cm, err := parseConfig([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.warnings) == 0 || !strings.Contains(strings.Join(cm.warnings, " "), "nested more than") {
		t.Errorf("no depth warning: %v", cm.warnings)
	}
	g := cm.graph(nil, nil)
	if len(g.Nodes) != 1 || model.CountNodes(g) > maxModelDepth+2 {
		t.Errorf("%d nodes, %d in all", len(g.Nodes), model.CountNodes(g))
	}
}

// TestDeflatedWeights re-packs a real .keras with every entry deflated:
// the weights file is then read (bounded) instead of located in place.
func TestDeflatedWeights(t *testing.T) {
	dir, _ := manifest(t)
	src, err := zip.OpenReader(filepath.Join(dir, "keras/churn_ann.keras"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range src.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		io.Copy(w, r)
		r.Close()
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "deflated.keras")
	os.WriteFile(path, buf.Bytes(), 0o644)
	m, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) > 0 {
		t.Errorf("warnings %v", m.Warnings)
	}
	n := 0
	for _, tn := range m.Graph.Initializers {
		if tn.Name == "layers/dense/vars/0" && slices.Equal(tn.Shape, []int64{12, 64}) && tn.Location == nil {
			n++
		}
	}
	if n != 1 || len(m.Graph.Initializers) != 20 {
		t.Errorf("%d tensors, kernel found %d times", len(m.Graph.Initializers), n)
	}
}
