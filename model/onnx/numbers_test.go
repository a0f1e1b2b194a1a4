package onnx

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// TestNumbersFitGraph: every ONNX file of the corpus decodes with value
// numbers that fit its main graph (model.ValueNumbers.Valid), and its
// view is the same without them: the layout uses them in place of a map
// of names.
func TestNumbersFitGraph(t *testing.T) {
	dir, entries := loadManifest(t)
	if len(entries) == 0 {
		t.Fatal("no ONNX entries in the corpus manifest")
	}
	for _, e := range entries {
		m, err := Open(context.Background(), filepath.Join(dir, filepath.FromSlash(e.Path)))
		if err != nil {
			continue // TestCorpus checks what fails to open
		}
		g := m.Graph
		if !g.Numbers.Valid(g) {
			t.Errorf("%s: the value numbers do not fit the graph", e.Path)
			continue
		}
		with := viewOf(t, g)
		g.Numbers = nil
		if without := viewOf(t, g); with != without {
			t.Errorf("%s: the view differs with the value numbers", e.Path)
		}
	}
}

// viewOf lays g out with every group open and returns the view as JSON,
// its time left out.
func viewOf(t *testing.T, g *model.Graph) string {
	t.Helper()
	v, err := layout.Layout(context.Background(), g, layout.Options{ExpandAll: true})
	if err != nil {
		t.Fatal(err)
	}
	v.Stats.LayoutMillis = 0
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
