package llm_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/model/internal/llm/llmfacts"
)

// hfEntries are the manifest entries of Hugging Face folders: facts.llm
// and a config.json among their files.
func hfEntries(t *testing.T) []testenv.Entry {
	var out []testenv.Entry
	for _, e := range testenv.Manifests(t) {
		f, _ := llmfacts.Parse(e.Facts)
		if f != nil && slices.ContainsFunc(e.Files, func(p string) bool { return filepath.Base(p) == "config.json" }) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Fatal("no manifest entry is a Hugging Face folder")
	}
	return out
}

// TestOpenConfigJSON opens each Hugging Face folder's config.json, and the
// folder itself (as a cache snapshot is opened): the same graph as the
// weights, config first in Files, decoded by the weights' decoder alone.
func TestOpenConfigJSON(t *testing.T) {
	reg := all.Registry()
	for _, e := range hfEntries(t) {
		t.Run(e.Path, func(t *testing.T) {
			f, _ := llmfacts.Parse(e.Facts)
			cfg := filepath.Join(filepath.Dir(e.Abs()), "config.json")
			for _, p := range []string{cfg, filepath.Dir(e.Abs())} {
				fm, err := reg.Detect(p)
				if err != nil || fm.Name != e.Format && !(e.Format == "safetensors-index" && fm.Name == "safetensors") {
					t.Fatalf("%s detected as %q (%v), want %s", p, fm.Name, err, e.Format)
				}
				m, err := reg.Open(context.Background(), p)
				if err != nil {
					t.Fatal(err)
				}
				if m.Files[0] != cfg || !slices.Contains(m.Files, e.Abs()) {
					t.Errorf("%s: files %q", p, m.Files)
				}
				for _, msg := range llmfacts.Check(m, f) {
					t.Errorf("%s: %s", p, msg)
				}
			}
			head := readHead(t, cfg)
			for _, fm := range reg.Formats() {
				if fm.Detect != nil && fm.Detect(head, int64(len(head))) != model.No {
					t.Errorf("%s claims config.json by content", fm.Name)
				}
			}
		})
	}
}

// TestConfigWithoutWeights checks a config.json alone is no model: no
// decoder claims it.
func TestConfigWithoutWeights(t *testing.T) {
	e := hfEntries(t)[0]
	b, err := os.ReadFile(filepath.Join(filepath.Dir(e.Abs()), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := all.Registry().Open(context.Background(), p); !errors.Is(err, model.ErrUnknownFormat) {
		t.Errorf("lone config.json: %v, want %v", err, model.ErrUnknownFormat)
	}
}

func readHead(t *testing.T, p string) []byte {
	t.Helper()
	head, _, err := model.ReadHead(p)
	if err != nil {
		t.Fatal(err)
	}
	return head
}
