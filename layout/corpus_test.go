package layout

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
)

// corpusGraphs opens every ONNX file of the shared corpus (through a
// registry holding the ONNX format) and returns the main graphs by path.
func corpusGraphs(t *testing.T) (paths []string, graphs []*model.Graph) {
	t.Helper()
	dir := filepath.Join(testenv.Corpus(t), "onnx")
	r := &model.Registry{}
	r.Register(onnx.Format())
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".onnx") {
			return err
		}
		m, err := r.Open(context.Background(), p)
		if err != nil || m.Graph == nil {
			return nil // not every corpus file is a model with a graph
		}
		rel, _ := filepath.Rel(dir, p)
		paths = append(paths, rel)
		graphs = append(graphs, m.Graph)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(graphs) < 20 {
		t.Fatalf("only %d ONNX graphs opened from %s", len(graphs), dir)
	}
	return paths, graphs
}

// TestCorpus lays out every corpus ONNX graph (and every subgraph of its
// nodes) with and without groups, checks the drawing's invariants and the
// stats, and that crossing reduction beats the plain depth-first order.
func TestCorpus(t *testing.T) {
	paths, graphs := corpusGraphs(t)
	totalNaive, totalGood := 0, 0
	for i, g := range graphs {
		v := mustLayout(t, g, Options{})
		if s := v.Stats; s.ModelNodes+s.HiddenNodes+s.InlinedNodes != s.TotalNodes || s.TotalNodes != len(g.Nodes) {
			t.Fatalf("%s: stats do not add up: %+v (graph has %d nodes)", paths[i], s, len(g.Nodes))
		}
		all := mustLayout(t, g, Options{ExpandAll: true})
		if s := all.Stats; s.ModelNodes+s.InlinedNodes != s.TotalNodes || s.HiddenNodes != 0 {
			t.Fatalf("%s: expand all hides nodes: %+v", paths[i], s)
		}
		if want := modelEdges(g); all.Stats.ModelEdges > want {
			t.Fatalf("%s: %d edges drawn, the model has %d links", paths[i], all.Stats.ModelEdges, want)
		}
		for _, n := range g.Nodes {
			for _, sg := range n.Subgraphs() {
				mustLayout(t, sg, Options{})
			}
		}
		naive := mustLayout(t, g, Options{ExpandAll: true, Sweeps: -1})
		cn, cg := Crossings(naive), Crossings(all)
		totalNaive += cn
		totalGood += cg
		if cn > 0 || len(g.Nodes) > 200 {
			t.Logf("%-60s %5d nodes %5d boxes: crossings %4d naive → %4d", paths[i], len(g.Nodes), len(all.Nodes), cn, cg)
		}
		if cg > cn {
			t.Errorf("%s: %d crossings, more than the naive order's %d", paths[i], cg, cn)
		}
	}
	t.Logf("corpus total: %d crossings naive, %d after reduction", totalNaive, totalGood)
	if totalNaive > 0 && totalGood >= totalNaive {
		t.Fatalf("crossing reduction did not help on the corpus: %d vs %d", totalGood, totalNaive)
	}
}

// TestCorpusInlining checks weights are drawn inside nodes on a real
// model: resnet18 has no initializer drawn as a box.
func TestCorpusInlining(t *testing.T) {
	paths, graphs := corpusGraphs(t)
	i := slices.IndexFunc(paths, func(p string) bool { return strings.HasSuffix(p, "squeezenet1_1_opset9_init_as_inputs.onnx") })
	if i < 0 {
		t.Skip("squeezenet not in the corpus")
	}
	g := graphs[i]
	v := mustLayout(t, g, Options{ExpandAll: true})
	inits := map[string]bool{}
	for _, t := range g.Initializers {
		inits[t.Name] = true
	}
	inputs := 0
	for _, n := range v.Nodes {
		if inits[n.Name] {
			t.Fatalf("initializer %s drawn as a %s box", n.Name, n.Kind)
		}
		if n.Kind == KindInput {
			inputs++
		}
		if n.Label == "Conv" && (len(n.Lines) < 1 || !strings.HasPrefix(n.Lines[0], "W ")) {
			t.Fatalf("Conv box without its weights: %q", n.Lines)
		}
	}
	if inputs != 1 {
		t.Fatalf("%d input boxes, want 1 (the others are initializers)", inputs)
	}
}
