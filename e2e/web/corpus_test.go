package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// TestCorpusONNXCounts opens real ONNX files of the shared corpus with the
// ONNX decoder and checks that the page draws as many nodes as the
// reference tool counted (MANIFEST.json) and as many edges as the decoded
// graph has connections; for the control-flow model it enters a Loop/If body.
func TestCorpusONNXCounts(t *testing.T) {
	corpus := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(corpus, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct {
		Path   string `json:"path"`
		Format string `json:"format"`
		Facts  struct {
			Nodes int `json:"node_count_top_level"`
		} `json:"facts"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, e := range manifest {
		want[e.Path] = e.Facts.Nodes
	}
	files := []string{
		"onnx/torchvision/mobilenet_v3_small.onnx",
		"onnx/torch/transformer_encoder_2x64.onnx",
		"onnx/torchvision/squeezenet1_1_opset9_init_as_inputs.onnx",
		"onnx/torchvision/resnet18_external_data_missing/resnet18.onnx",
		"onnx/torch/scripted_control_flow_loop_if.onnx",
	}
	lib := fixture.NewLibrary()
	ids := map[string]string{}
	models := map[string]*model.Model{}
	for _, f := range files {
		m, err := lib.Registry().Open(context.Background(), filepath.Join(corpus, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		ids[f] = lib.Add(filepath.Base(f), m)
		models[f] = m
	}
	e := startServer(t, lib)
	ctx := newBrowser(t)
	for _, f := range files {
		id, ok := ids[f]
		if !ok {
			continue
		}
		st := navigate(t, ctx, e, "model="+id+"&expand=all")
		wantN, wantE, inlined := expectedCountsInlined(models[f].Graph)
		if wantN+inlined != want[f] {
			t.Errorf("%s: decoder gives %d nodes, the manifest %d", f, wantN+inlined, want[f])
		}
		if st.Nodes != wantN || st.Edges != wantE {
			t.Errorf("%s: drawn %d nodes, %d edges; want %d nodes (%d in the manifest, %d constants drawn inside their consumer), %d edges",
				f, st.Nodes, st.Edges, wantN, want[f], inlined, wantE)
		}
		var shown int
		eval(t, ctx, `modelpeek.view().stats.inlinedNodes || 0`, &shown)
		if shown+st.Nodes != want[f] {
			t.Errorf("%s: %d drawn + %d inlined != %d model nodes", f, st.Nodes, shown, want[f])
		}
		name := strings.TrimSuffix(filepath.Base(f), ".onnx")
		if name == "mobilenet_v3_small" || name == "transformer_encoder_2x64" {
			shot(t, ctx, "corpus-"+name)
		}
	}
	// Enter the first node holding a subgraph, and come back.
	f := "onnx/torch/scripted_control_flow_loop_if.onnx"
	if id, ok := ids[f]; ok {
		g := models[f].Graph
		idx, sub := -1, (*model.Graph)(nil)
		for i, n := range g.Nodes {
			if s := n.Subgraphs(); len(s) > 0 {
				idx, sub = i, s[0]
				break
			}
		}
		if idx < 0 {
			t.Fatalf("%s has no node with a subgraph", f)
		}
		navigate(t, ctx, e, "model="+id+"&expand=all")
		clickNode(t, ctx, nodeID(t, ctx, `n.index === `+strconv.Itoa(idx)), true)
		wantN, wantE := expectedCounts(sub)
		st := waitGraph(t, ctx, 15*time.Second, func(s graphState) bool {
			return s.State == "ready" && s.Nodes == wantN
		})
		if st.Edges != wantE {
			t.Errorf("%s body: %d edges drawn, want %d", g.Nodes[idx].OpType, st.Edges, wantE)
		}
		shot(t, ctx, "corpus-control-flow-body")
		eval(t, ctx, `(document.querySelector('#breadcrumb button').click(), true)`, new(bool))
		top, _ := expectedCounts(g)
		waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == top })
	}
}
