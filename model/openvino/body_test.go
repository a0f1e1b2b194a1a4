package openvino_test

import (
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/openvino"
)

// TestTensorIteratorBody checks that a TensorIterator's body is an
// enterable subgraph with its Parameters, Results and port map.
func TestTensorIteratorBody(t *testing.T) {
	m, err := openvino.Open(t.Context(), filepath.Join(testenv.Corpus(t), "openvino", "rnn_tensor_iterator_v11.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var ti *model.Node
	for _, n := range m.Graph.Nodes {
		if n.OpType == "TensorIterator" {
			ti = n
		}
	}
	if ti == nil {
		t.Fatal("no TensorIterator node")
	}
	subs := ti.Subgraphs()
	if len(subs) != 1 || len(subs[0].Nodes) != 11 || len(subs[0].Inputs) != 2 || len(subs[0].Outputs) != 1 {
		t.Fatalf("body: %d subgraphs", len(subs))
	}
	found := false
	for _, a := range ti.Attrs {
		if a.Name == "port_map" && len(a.Strings) == 3 {
			found = true
		}
	}
	if !found {
		t.Error("no port_map attribute with 3 entries")
	}
	if len(ti.Inputs) != 2 || ti.Inputs[0] != "seq:0" || ti.Inputs[1] != "h0:0" {
		t.Errorf("inputs %q", ti.Inputs)
	}
}
