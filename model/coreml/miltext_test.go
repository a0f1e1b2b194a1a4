package coreml

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// blobFileBytes builds a weight.bin in MIL blob storage layout holding
// one float32 blob of vals; the blob's metadata is at offset 64.
func blobFileBytes(vals []float32) []byte {
	b := make([]byte, 128)
	binary.LittleEndian.PutUint32(b[0:], 1)
	binary.LittleEndian.PutUint32(b[4:], 2)
	binary.LittleEndian.PutUint32(b[64:], blobSentinel)
	binary.LittleEndian.PutUint32(b[68:], 2) // Float32
	binary.LittleEndian.PutUint64(b[72:], uint64(4*len(vals)))
	binary.LittleEndian.PutUint64(b[80:], 128)
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

const controlFlowMIL = `program(1.3)
[buildInfo = dict<string, string>({{"coremltools-version", "8.1"}})]
{
    func main<ios18>(tensor<fp32, [1, 4]> x, tensor<bool, []> p) {
            tensor<fp32, [4, 4]> w = const()[name = string("w"), val = tensor<fp32, [4, 4]>(BLOBFILE(path = string("@model_path/weights/weight.bin"), offset = uint64(64)))];
            tensor<fp32, [1, 4]> h = linear(x = x, weight = w)[name = string("fc")];
            tensor<fp32, [1, 4]> y = cond(pred = p)[name = string("branch")] {
                tensor<fp32, [1, 4]> a = relu(x = h)[name = string("a")];
            } -> (a) {
                tensor<fp32, [1, 4]> b = sigmoid(x = h)[name = string("b")];
            } -> (b);
            tensor<int32, []> n = while_loop(loop_vars = (k))[name = string("loop")]
                loop_cond(tensor<int32, []> k_c) {
                    tensor<bool, []> c = less(x = k_c, y = k_c)[name = string("c")];
                } -> (c)
                loop_body(tensor<int32, []> k_b) {
                    tensor<int32, []> k2 = add(x = k_b, y = k_b)[name = string("k2")];
                } -> (k2);
            tensor<int32, [2]> s, tensor<fp32, [?, 4]> z = split(x = y, num_splits = int32(2), axis = int32(-1))[name = string("sp")];
    } -> (y);
    func other<ios18>(tensor<fp32, [2]> q) {
            tensor<fp32, [2]> r = relu(x = q)[name = string("r")];
    } -> (r);
}
`

// TestMILText parses a compiled model with a blob-backed const, a cond
// with two blocks, a two-output operation and a second function.
func TestMILText(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m.mlmodelc")
	if err := os.MkdirAll(filepath.Join(dir, "weights"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "model.mil"), []byte(controlFlowMIL))
	writeFile(t, filepath.Join(dir, "weights", "weight.bin"), blobFileBytes(make([]float32, 16)))
	writeFile(t, filepath.Join(dir, "metadata.json"), []byte(`[{"specificationVersion": 9, "inputSchema": [{"name": "x", "type": "MultiArray", "dataType": "Float32", "shape": "[1, 4]"}], "outputSchema": []}]`))
	if DetectDir(dir) != model.Strong {
		t.Fatal("not detected")
	}
	m, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	if len(g.Nodes) != 5 || g.Nodes[0].OpType != "const" || g.Nodes[1].Name != "fc" {
		t.Fatalf("nodes %+v", g.Nodes)
	}
	if in := g.Nodes[1].Inputs; len(in) != 2 || in[0] != "x" || in[1] != "w" {
		t.Errorf("linear inputs %v", in)
	}
	blocks := g.Nodes[2].Subgraphs()
	if len(blocks) != 2 || blocks[1].Nodes[0].OpType != "sigmoid" || blocks[1].Outputs[0].Name != "b" {
		t.Fatalf("cond blocks %+v", blocks)
	}
	if bs := g.Nodes[3].Subgraphs(); len(bs) != 2 || bs[1].Name != "loop_body" || bs[1].Inputs[0].Name != "k_b" || bs[0].Nodes[0].OpType != "less" {
		t.Errorf("while_loop blocks %+v", bs)
	}
	if out := g.Nodes[4].Outputs; len(out) != 2 || out[1] != "z" {
		t.Errorf("split outputs %v", out)
	}
	w := g.Initializers[0]
	if w.Name != "w" || w.DType != "float32" || w.Location == nil || w.Location.Offset != 128 || w.Location.Length != 64 {
		t.Fatalf("const tensor %+v %+v", w, w.Location)
	}
	s := model.Summarize(m)
	if s.Nodes != 10 || s.Inputs[0].DType != "float32" || m.Facts["opset"] != "ios18" {
		t.Errorf("summary %+v facts %v", s, m.Facts)
	}
}

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMILTextErrors checks that broken texts are refused with a clear
// error naming model.mil.
func TestMILTextErrors(t *testing.T) {
	for name, src := range map[string]string{
		"empty":        "",
		"not MIL":      "hello world",
		"unterminated": `program(1.0) { func main<ios16>(tensor<fp16, [1]> x) { tensor<fp16, [1]> y = mul(x = x, y = "abc`,
		"deep blocks":  "program(1.0) { func main<ios16>() { tensor<fp32, [1]> y = cond(pred = p) " + strings.Repeat("{ tensor<fp32, [1]> y = cond(pred = p) ", 10000),
		"deep types":   "program(1.0) { func main<ios16>(" + strings.Repeat("list<", 100000),
		"deep states":  "program(1.0) { func main<ios16>(" + strings.Repeat("state<", 100000),
		"deep tuples":  "program(1.0) { func main<ios16>() { tensor<fp32, [1]> y = f(x = " + strings.Repeat("(", 100000),
		"bad char":     "program(1.0) { func main<ios16>() { $ } }",
		"no functions": "program(1.0) { }",
	} {
		d := &decoder{ctx: t.Context(), src: bytesSource(nil), path: "/nonexistent/model.mil"}
		p := &milParser{lex: milLexer{src: src}, d: d}
		fns := p.parseProgram()
		err := p.err
		if err == nil {
			err = programModel(fns, d, &model.Model{Facts: map[string]any{}})
		}
		if err == nil || !strings.Contains(err.Error(), "model.mil") {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// TestCompiledNetwork opens a compiled neural network (no model.mil): its
// layers come from model.espresso.net.
func TestCompiledNetwork(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nn.mlmodelc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "coremldata.bin"), []byte{0})
	writeFile(t, filepath.Join(dir, "metadata.json"), []byte(`[{"specificationVersion": 4, "modelType": {"name": "MLModelType_neuralNetwork"}}]`))
	writeFile(t, filepath.Join(dir, "model.espresso.net"), []byte(`{"layers": [
		{"name": "conv", "type": "convolution", "bottom": "image", "top": "c", "C": 8, "pad_mode": "same"},
		{"name": "relu", "type": "activation", "bottom": "c", "top": "out", "mode": 0}]}`))
	if DetectDir(dir) != model.Strong {
		t.Fatal("not detected")
	}
	m, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Nodes) != 2 || m.Graph.Nodes[1].Inputs[0] != "c" || m.Graph.Nodes[0].Attrs[0].Name != "C" || m.Facts["model_type"] != "neuralNetwork" {
		t.Fatalf("graph %+v facts %v", m.Graph.Nodes, m.Facts)
	}
	writeFile(t, filepath.Join(dir, "model.espresso.net"), []byte(`{"layers": [`))
	if _, err := Open(t.Context(), dir); err == nil {
		t.Error("a broken model.espresso.net was accepted")
	}
}
