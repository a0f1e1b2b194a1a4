package web

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// formatFiles are real corpus files of every format but ONNX (which
// corpus_test.go covers), with the format name the model panel must show
// and whether the model has nodes to draw.
var formatFiles = []struct {
	path, format, shot string
	hasNodes           bool
}{
	{"gguf/tiny-llama-q4_k_m-style.gguf", "gguf", "gguf-q4km", true},
	{"gguf/llama.cpp-vocab/ggml-vocab-gpt-2.gguf", "gguf", "gguf-vocab", false},
	{"tflite/litert/multi_subgraphs_while.tflite", "tflite", "tflite-while", true},
	{"tflite/tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite", "tflite", "tflite-mobilenet", true},
	{"safetensors/gpt2_tiny_sharded/model.safetensors.index.json", "safetensors", "safetensors-index", true},
	{"numpy/archive_deflated.npz", "numpy", "npz", true},
	{"pytorch/state_dict/tiny_cnn_state_dict.pth", "pytorch", "pytorch-state-dict", true},
	{"pytorch/torchscript/tiny_cnn_scripted.pt", "pytorch", "torchscript", true},
	{"keras/churn_ann.keras", "keras", "keras", true},
	{"keras/teachable_machine_mobilenet.h5", "keras", "keras-h5", true},
}

// TestCorpusFormats opens one real file of each non-ONNX format in the
// viewer and checks that the graph is drawn with the view's own counts,
// the model panel names the format, and no error is shown.
func TestCorpusFormats(t *testing.T) {
	corpus := testenv.Corpus(t)
	lib := fixture.NewLibrary()
	ids := make([]string, len(formatFiles))
	models := make([]*model.Model, len(formatFiles))
	for i, f := range formatFiles {
		m, err := lib.Registry().Open(context.Background(), filepath.Join(corpus, f.path))
		if err != nil {
			t.Errorf("%s: %v", f.path, err)
			continue
		}
		ids[i] = lib.Add(filepath.Base(f.path), m)
		models[i] = m
	}
	e := startServer(t, lib)
	ctx := newBrowser(t)
	for i, f := range formatFiles {
		if ids[i] == "" {
			continue
		}
		st := navigate(t, ctx, e, "model="+ids[i])
		var stats struct {
			Nodes int `json:"modelNodes"`
			Edges int `json:"modelEdges"`
		}
		eval(t, ctx, `modelpeek.view().stats`, &stats)
		if st.Nodes != stats.Nodes || st.Edges != stats.Edges {
			t.Errorf("%s: #graph says %d nodes, %d edges; the view %d, %d", f.path, st.Nodes, st.Edges, stats.Nodes, stats.Edges)
		}
		if f.hasNodes && st.Nodes == 0 {
			t.Errorf("%s: no nodes drawn", f.path)
		}
		if st.Error != "" {
			t.Errorf("%s: error shown: %s", f.path, st.Error)
		}
		panel := waitContains(ctx, "#sidebar", "format\t"+f.format, 10*time.Second)
		if !strings.Contains(panel, "format\t"+f.format) {
			t.Errorf("%s: model panel does not name the format %q:\n%s", f.path, f.format, panel)
		}
		var noGraph bool
		eval(t, ctx, `!document.getElementById('nograph').hidden`, &noGraph)
		if noGraph != (st.Nodes == 0) {
			t.Errorf("%s: %d nodes drawn, but the nothing-to-draw note shown is %v", f.path, st.Nodes, noGraph)
		}
		shot(t, ctx, "fmt-"+f.shot)
		if strings.Contains(f.path, "while") {
			enterFirstSubgraph(t, ctx, models[i].Graph, "fmt-"+f.shot+"-body")
		}
	}
}

// enterFirstSubgraph double-clicks the first node of g holding a subgraph
// (a TFLite WHILE's condition), checks the body drawn, and comes back by
// the breadcrumb.
func enterFirstSubgraph(t *testing.T, ctx context.Context, g *model.Graph, shotName string) {
	t.Helper()
	idx, sub := -1, (*model.Graph)(nil)
	for i, n := range g.Nodes {
		if s := n.Subgraphs(); len(s) > 0 {
			idx, sub = i, s[0]
			break
		}
	}
	if idx < 0 {
		t.Fatalf("no node with a subgraph")
	}
	id := nodeID(t, ctx, `n.index === `+strconv.Itoa(idx))
	// One click: the sidebar offers every subgraph of the node.
	clickNode(t, ctx, id, false)
	want := len(g.Nodes[idx].Subgraphs())
	var offered int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		eval(t, ctx, `document.querySelectorAll('#sidebar button.subgraph-open').length`, &offered)
		if offered == want {
			break
		}
	}
	if offered != want {
		t.Errorf("%s: the sidebar offers %d subgraphs, the node has %d", g.Nodes[idx].OpType, offered, want)
	}
	shot(t, ctx, shotName+"-sidebar")
	clickNode(t, ctx, id, true)
	wantN, wantE := expectedCounts(sub)
	st := waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == wantN })
	if st.Edges != wantE || wantN == 0 {
		t.Errorf("%s body: %d nodes, %d edges drawn, want %d, %d (> 0 nodes)", g.Nodes[idx].OpType, st.Nodes, st.Edges, wantN, wantE)
	}
	crumbs := text(t, ctx, "#breadcrumb")
	if !strings.Contains(crumbs, g.Nodes[idx].OpType) {
		t.Errorf("breadcrumb %q does not name the %s node", crumbs, g.Nodes[idx].OpType)
	}
	shot(t, ctx, shotName)
	eval(t, ctx, `(document.querySelector('#breadcrumb button').click(), true)`, new(bool))
	top, _ := expectedCounts(g)
	waitGraph(t, ctx, 15*time.Second, func(s graphState) bool { return s.State == "ready" && s.Nodes == top })
}

// waitContains waits until the innerText of sel contains want and returns the
// last text read.
func waitContains(ctx context.Context, sel, want string, d time.Duration) string {
	js := `(() => { const e = document.querySelector(` + jsString(sel) + `); return e ? e.innerText : ''; })()`
	deadline := time.Now().Add(d)
	for {
		var s string
		err := evalErr(ctx, 5*time.Second, js, &s)
		if (err == nil && strings.Contains(s, want)) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(25 * time.Millisecond)
	}
}
