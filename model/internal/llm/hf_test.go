package llm_test

import (
	"context"
	"errors"
	"fmt"
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

// TestHFCacheSnapshot lays each Hugging Face folder out as the hub cache
// does (models--ORG--NAME/snapshots/REV/ holding symlinks into blobs/ named
// by hash) and opens the snapshot folder, its config.json and its weights:
// the graph is the architecture's, as from the plain folder.
func TestHFCacheSnapshot(t *testing.T) {
	for _, e := range hfEntries(t) {
		t.Run(e.Path, func(t *testing.T) {
			f, _ := llmfacts.Parse(e.Facts)
			snap := cacheSnapshot(t, e)
			weights := filepath.Join(snap, filepath.Base(e.Abs()))
			for _, p := range []string{snap, filepath.Join(snap, "config.json"), weights} {
				m, err := all.Registry().Open(context.Background(), p)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				for _, msg := range llmfacts.Check(m, f) {
					t.Errorf("%s: %s", p, msg)
				}
			}
		})
	}
}

// cacheSnapshot copies the entry's files into a hub-cache layout and
// returns the snapshot folder.
func cacheSnapshot(t *testing.T, e testenv.Entry) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "models--org--"+filepath.Base(filepath.Dir(e.Abs())))
	snap := filepath.Join(repo, "snapshots", "0123456789abcdef")
	for _, dir := range []string{filepath.Join(repo, "blobs"), snap} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{e.Abs()}
	for _, rel := range e.Files {
		files = append(files, filepath.Join(e.Root, filepath.FromSlash(rel)))
	}
	for i, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		blob := fmt.Sprintf("%040x", i+1)
		if err := os.WriteFile(filepath.Join(repo, "blobs", blob), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blob), filepath.Join(snap, filepath.Base(src))); err != nil {
			testenv.Skip(t, "no symlinks here: %v", err)
		}
	}
	return snap
}
