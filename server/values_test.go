package server

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
)

// TestNodeConstantsAndFoldedInitializers asks the node route for every
// node of two corpus exports: mobilenet_v3_small (biases forwarded by
// Identity nodes) and transformer_encoder_2x64 (scalar Constants). An
// input forwarded by Identity must be described by its initializer (type,
// tensor, the name it comes from); an input that is a tiny constant must
// carry all its values.
func TestNodeConstantsAndFoldedInitializers(t *testing.T) {
	corpus := testenv.Corpus(t)
	for _, p := range []string{"torchvision/mobilenet_v3_small.onnx", "torch/transformer_encoder_2x64.onnx"} {
		m, err := onnx.Open(context.Background(), filepath.Join(corpus, "onnx", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		lib := newFakeLib()
		lib.add("m1", p, m)
		s, addr := startServer(t, lib, nil)
		forwarded, tiny := checkNodeRefs(t, s, addr, m.Graph)
		t.Logf("%s: %d inputs forwarded by Identity, %d tiny constants", p, forwarded, tiny)
		if forwarded+tiny == 0 {
			t.Errorf("%s: no Identity-forwarded initializer or tiny constant seen", p)
		}
	}
}

func checkNodeRefs(t *testing.T, s *Server, addr string, g *model.Graph) (forwarded, tiny int) {
	producer := map[string]*model.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	for i := range g.Nodes {
		var d struct{ Inputs []valueRef }
		if code := getJSON(t, s, addr, fmt.Sprintf("/api/models/m1/node?index=%d", i), &d); code != 200 {
			t.Fatalf("node %d: %d", i, code)
		}
		for _, in := range d.Inputs {
			p := producer[in.Name]
			switch {
			case p != nil && p.OpType == "Identity":
				forwarded++
				if in.Tensor == nil || in.From != p.Inputs[0] || in.Type == nil {
					t.Errorf("%s (Identity of %s): %+v", in.Name, p.Inputs[0], in)
				}
			case p != nil && p.OpType == "Constant" && in.Tensor != nil:
				n, _ := model.NumElements(in.Tensor.Shape)
				if n <= model.MaxInlineValues {
					tiny++
					if int64(len(in.Tensor.Values)) != n {
						t.Errorf("%s: %d values for %v", in.Name, len(in.Tensor.Values), in.Tensor.Shape)
					}
				}
			}
		}
	}
	return forwarded, tiny
}
