package layout

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// TestAllFormats lays out the graph of every corpus file every decoder
// opens (ONNX, TFLite, GGUF, Keras, PyTorch, safetensors, NumPy) and of
// their subgraphs, checking the drawing's invariants.
func TestAllFormats(t *testing.T) {
	dir := testenv.Corpus(t)
	r := all.Registry()
	opened := map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".md") {
			return err
		}
		m, err := r.Open(context.Background(), p)
		if err != nil || m.Graph == nil {
			return nil
		}
		opened[m.Format]++
		rel, _ := filepath.Rel(dir, p)
		graphs := []*model.Graph{m.Graph}
		for i := 0; i < len(graphs) && i < 64; i++ {
			for _, n := range graphs[i].Nodes {
				if n != nil {
					graphs = append(graphs, n.Subgraphs()...)
				}
			}
		}
		for gi, g := range graphs {
			v := mustLayout(t, g, Options{})
			if out := os.Getenv("MODELPEEK_LAYOUT_SVG"); out != "" && gi == 0 {
				name := m.Format + "_" + strings.NewReplacer("/", "_").Replace(rel) + ".svg"
				if err := writeSVG(v, filepath.Join(out, name)); err != nil {
					t.Fatal(err)
				}
			}
			if s := v.Stats; s.ModelNodes+s.HiddenNodes+s.InlinedNodes != s.TotalNodes {
				t.Fatalf("%s: stats do not add up: %+v", rel, s)
			}
			mustLayout(t, g, Options{ExpandAll: true})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("graphs laid out per format: %v", opened)
}
