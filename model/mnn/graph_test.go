package mnn

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

func openCorpus(t *testing.T, rel string) *model.Model {
	t.Helper()
	m, err := Open(context.Background(), filepath.Join(testenv.Corpus(t), "mnn", rel))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func attr(n *model.Node, name string) *model.Attribute {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}

// TestConvWeights: convolution weights inside Convolution2D are tensor
// attributes, shaped [out, in/group, kH, kW] and located in the file.
func TestConvWeights(t *testing.T) {
	m := openCorpus(t, "cnn/small_cnn.mnn")
	want := map[string][]int64{"conv1": {4, 3, 3, 3}, "dw2": {4, 1, 3, 3}}
	for _, n := range m.Graph.Nodes {
		shape, ok := want[n.Name]
		if !ok {
			continue
		}
		w := attr(n, "weight")
		if w == nil || len(w.Tensors) != 1 {
			t.Fatalf("%s: no weight attribute", n.Name)
		}
		tw := w.Tensors[0]
		if !slices.Equal(tw.Shape, shape) || tw.Location == nil || tw.Location.Length != 4*product(shape) || tw.Location.Offset+tw.Location.Length > 1468 {
			t.Errorf("%s weight: shape %v location %+v", n.Name, tw.Shape, tw.Location)
		}
		if k := attr(n, "kernelX"); k == nil || k.Int != 3 {
			t.Errorf("%s kernelX %+v", n.Name, k)
		}
		delete(want, n.Name)
	}
	if len(want) > 0 {
		t.Errorf("missing nodes %v", want)
	}
}

// TestWhileSubgraphs: the While op holds its cond and body as graph
// attributes, each with typed inputs and its own constants.
func TestWhileSubgraphs(t *testing.T) {
	m := openCorpus(t, "control/while_subgraphs.mnn")
	var w *model.Node
	for _, n := range m.Graph.Nodes {
		if n.OpType == "While" {
			w = n
		}
	}
	if w == nil {
		t.Fatal("no While node")
	}
	gs := w.Subgraphs()
	if len(gs) != 2 || gs[0].Name != "loop_cond" || gs[1].Name != "loop_body" {
		t.Fatalf("While subgraphs %v", gs)
	}
	body := gs[1]
	if len(body.Inputs) != 1 || body.Inputs[0].Type == nil || len(body.Initializers) != 1 || body.Initializers[0].Location == nil {
		t.Errorf("loop_body: inputs %v, initializers %v", body.Inputs, body.Initializers)
	}
	if len(m.Functions) != 0 {
		t.Errorf("%d unattached subgraphs", len(m.Functions))
	}
}

func product(s []int64) int64 {
	n := int64(1)
	for _, d := range s {
		n *= d
	}
	return n
}

// TestExternalWeights: weights kept outside the .mnn are located in
// "<model>.mnn.weight" (or the op's externalPath), checked against its
// size, and marked missing when the file is absent.
func TestExternalWeights(t *testing.T) {
	dir := t.TempDir()
	d := &decoder{path: filepath.Join(dir, "m.mnn")}
	file := d.externalFile("")
	if file != d.path+".weight" || d.externalFile("w.bin") != filepath.Join(dir, "w.bin") {
		t.Fatalf("external files %q, %q", file, d.externalFile("w.bin"))
	}
	if loc := d.externalLocation(file, 8, 16, model.EncRaw); loc == nil || !loc.Missing {
		t.Errorf("missing file: %+v", loc)
	}
	d.externals = nil
	if err := os.WriteFile(file, make([]byte, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	if loc := d.externalLocation(file, 8, 16, model.EncRaw); loc == nil || loc.Missing || loc.Offset != 8 || loc.Length != 16 {
		t.Errorf("present file: %+v", loc)
	}
	if loc := d.externalLocation(file, 60, 16, model.EncRaw); loc != nil {
		t.Errorf("past the end: %+v", loc)
	}
	if files := d.externalFiles(); len(files) != 1 || files[0] != file {
		t.Errorf("files %v", files)
	}
}
