package coreml

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

func openCorpus(t *testing.T, rel string) *model.Model {
	t.Helper()
	m, err := Open(t.Context(), filepath.Join(testenv.Corpus(t), "coreml", rel))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tensorNamed(t *testing.T, ts []*model.Tensor, name string) *model.Tensor {
	t.Helper()
	for _, x := range ts {
		if x.Name == name {
			return x
		}
	}
	t.Fatalf("no tensor %q", name)
	return nil
}

// TestNeuralNetworkGraph checks layer wiring, weights as inputs, typed
// attributes and weight locations of a neural network classifier.
func TestNeuralNetworkGraph(t *testing.T) {
	m := openCorpus(t, "nn_classifier_iris.mlmodel")
	fc1 := m.Graph.Nodes[0]
	if fc1.OpType != "innerProduct" || fc1.Category != "layer" || fc1.Inputs[0] != "features" ||
		!slices.Contains(fc1.Inputs, "fc1/weights") || len(fc1.Outputs) != 1 {
		t.Fatalf("first layer %+v", fc1)
	}
	if next := m.Graph.Nodes[1]; !slices.Contains(next.Inputs, fc1.Outputs[0]) {
		t.Errorf("layer 2 inputs %v do not follow layer 1 outputs %v", next.Inputs, fc1.Outputs)
	}
	var sawInt bool
	for _, a := range fc1.Attrs {
		if a.Name == "outputChannels" && a.Type == model.AttrInt && a.Int == 6 {
			sawInt = true
		}
	}
	if !sawInt {
		t.Errorf("innerProduct attributes %+v lack outputChannels = 6", fc1.Attrs)
	}
	w := tensorNamed(t, m.Graph.Initializers, "fc1/weights")
	if w.Location == nil || w.Location.Length != 24*4 || w.Location.Encoding != model.EncRaw {
		t.Fatalf("fc1/weights location %+v", w.Location)
	}
	p, err := model.ReadPreview(w, 24)
	if err != nil || len(p.Values) != 24 {
		t.Fatalf("preview %v %v", p, err)
	}
	if m.Facts["class_count"] != 3 {
		t.Errorf("class_count %v", m.Facts["class_count"])
	}
}

// TestLoopBody checks that a loop layer's body is a subgraph with its own
// weights, and that weight values are read from the right bytes.
func TestLoopBody(t *testing.T) {
	m := openCorpus(t, "nn_loop.mlmodel")
	loop := m.Graph.Nodes[1]
	if loop.OpType != "loop" || loop.Category != "control" {
		t.Fatalf("node 1 is %s", loop.OpType)
	}
	body := loop.Subgraphs()
	if len(body) != 1 || len(body[0].Nodes) != 2 || body[0].Nodes[0].OpType != "innerProduct" {
		t.Fatalf("loop body %+v", body)
	}
	if len(body[0].Initializers) != 2 {
		t.Errorf("loop body initializers %d, want 2", len(body[0].Initializers))
	}
	act := body[0].Nodes[1]
	if i := slices.IndexFunc(act.Attrs, func(a model.Attribute) bool { return a.Name == "NonlinearityType" }); i < 0 || act.Attrs[i].String != "tanh" {
		t.Errorf("activation attributes %+v", act.Attrs)
	}
	p, err := model.ReadPreview(tensorNamed(t, m.Graph.Initializers, "pre/weights"), 1)
	if err != nil || math.Abs(p.Values[0]-1.4487) > 1e-3 {
		t.Errorf("pre/weights[0] = %v (%v), want 1.4487", p, err)
	}
}

// TestPackageBlobs checks that ML Program weights are located in
// weight.bin from their blob headers, and the program's structure.
func TestPackageBlobs(t *testing.T) {
	m := openCorpus(t, "mlp_program.mlpackage")
	w := tensorNamed(t, m.Graph.Initializers, "fc1_weight")
	if w.Location == nil || filepath.Base(w.Location.File) != "weight.bin" || w.Location.Length != 8*4*2 ||
		w.Location.Offset%64 != 0 || w.DType != "float16" {
		t.Fatalf("fc1_weight %+v %+v", w, w.Location)
	}
	if _, err := model.ReadPreview(w, 8); err != nil {
		t.Errorf("preview: %v", err)
	}
	if len(m.Files) < 4 || !strings.HasSuffix(m.Files[len(m.Files)-1], "weight.bin") {
		t.Errorf("files %v", m.Files)
	}
	for _, n := range m.Graph.Nodes {
		if n.OpType == "linear" && len(n.Inputs) != 3 {
			t.Errorf("linear %s inputs %v", n.Name, n.Inputs)
		}
	}
}

// TestMultifunction checks that functions other than main are listed and
// counted.
func TestMultifunction(t *testing.T) {
	m := openCorpus(t, "multifunction.mlpackage")
	if len(m.Functions) != 1 || m.Functions[0].Name != "encode" || len(m.Functions[0].Nodes) != 3 {
		t.Fatalf("functions %+v", m.Functions)
	}
	if !m.FunctionsInNodeCount {
		t.Error("functions are not counted")
	}
}

// TestPipelineMembers checks that pipeline members are nodes wired by their
// features and that a neural network member's graph is listed.
func TestPipelineMembers(t *testing.T) {
	m := openCorpus(t, "pipeline_vectorizer_nn.mlmodel")
	if len(m.Graph.Nodes) != 2 || m.Graph.Nodes[0].Outputs[0] != "vec" || m.Graph.Nodes[1].Inputs[0] != "vec" {
		t.Fatalf("pipeline nodes %+v %+v", m.Graph.Nodes[0], m.Graph.Nodes[1])
	}
	if len(m.Functions) != 1 || m.Functions[0].Nodes[0].OpType != "innerProduct" || m.Functions[0].Name != m.Graph.Nodes[1].Name {
		t.Fatalf("member graphs %+v", m.Functions)
	}
}

// TestTreeEnsemble checks tree counts on a model type without layers.
func TestTreeEnsemble(t *testing.T) {
	m := openCorpus(t, "tree_ensemble_regressor.mlmodel")
	n := m.Graph.Nodes[0]
	if n.OpType != "treeEnsembleRegressor" || len(n.Inputs) != 3 || len(n.Outputs) != 1 {
		t.Fatalf("node %+v", n)
	}
}
