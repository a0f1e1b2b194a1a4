package keras_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// TestRegistryPicksKerasAndPyTorch checks that, among every format, the
// registry opens each Keras and PyTorch corpus file with the right
// decoder, and that the inspect summary is complete.
func TestRegistryPicksKerasAndPyTorch(t *testing.T) {
	dir := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct {
		Path   string `json:"path"`
		Format string `json:"format"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	reg := all.Registry()
	for _, e := range entries {
		if e.Format != "keras" && e.Format != "pytorch" {
			continue
		}
		path := filepath.Join(dir, e.Path)
		f, err := reg.Detect(path)
		if err != nil || f.Name != e.Format {
			t.Errorf("%s: detected %q (%v), want %s", e.Path, f.Name, err, e.Format)
			continue
		}
		m, err := reg.Open(context.Background(), path)
		if err != nil {
			t.Errorf("%s: %v", e.Path, err)
			continue
		}
		s := model.Summarize(m)
		if s.Format != e.Format || s.Nodes == 0 || len(s.Tensors) != len(m.Graph.Initializers) || len(s.Tensors) == 0 {
			t.Errorf("%s: summary format %s, %d nodes, %d tensors", e.Path, s.Format, s.Nodes, len(s.Tensors))
		}
		if os.Getenv("KERAS_SUMMARY") != "" {
			b, _ := json.Marshal(s)
			t.Logf("%s: %.600s", e.Path, b)
		}
	}
}
