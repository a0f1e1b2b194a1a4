package tfjs_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm"
	"github.com/modelpeek/modelpeek/model/tfjs"
)

// TestWeightsOnlyManifest strips the modelTopology from every tfjs entry
// of the manifests (its shards copied beside it): what is left is a
// weights manifest, which records no data flow. It must open with every
// weight of the entry's facts, each held by one node, nodes that produce
// nothing, with an empty op histogram and the weights-only note.
func TestWeightsOnlyManifest(t *testing.T) {
	n := 0
	for _, e := range testenv.ManifestEntries(t, "tfjs") {
		if !e.Valid() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			path := weightsOnlyCopy(t, e)
			m, err := tfjs.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				Tensors []struct {
					Name  string `json:"name"`
					DType string `json:"dtype"`
				} `json:"tensors"`
			}
			if err := json.Unmarshal(e.Facts, &f); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, tf := range f.Tensors {
				if !slices.Contains(want, tf.Name) {
					want = append(want, tf.Name)
				}
			}
			var got []string
			for _, tn := range m.Graph.Initializers {
				got = append(got, tn.Name)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("weights %v\nwant %v", got, want)
			}
			held := map[string]int{}
			for _, nd := range m.Graph.Nodes {
				if !nd.Container || len(nd.Outputs) > 0 {
					t.Errorf("node %s (%s) is an operation with outputs %v", nd.Name, nd.OpType, nd.Outputs)
				}
				for _, in := range nd.Inputs {
					held[in]++
				}
			}
			for _, name := range want {
				if held[name] != 1 {
					t.Errorf("weight %s held by %d nodes", name, held[name])
				}
			}
			if ops := model.Summarize(m).Ops; len(ops) > 0 {
				t.Errorf("op histogram %v of a weights manifest", ops)
			}
			if len(want) > 0 && !slices.ContainsFunc(m.Properties, func(p model.Property) bool { return p.Value == llm.WeightsOnlyNote }) {
				t.Errorf("no weights-only note: %v", m.Properties)
			}
		})
	}
	if n == 0 {
		t.Fatal("no tfjs entry in the manifests")
	}
}

// weightsOnlyCopy writes e's model.json without modelTopology (and
// signature) into a temporary folder, with the entry's other files copied
// to the same relative places, and returns the new model.json's path.
func weightsOnlyCopy(t *testing.T, e testenv.Entry) string {
	t.Helper()
	raw, err := os.ReadFile(e.Abs())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "modelTopology")
	delete(doc, "signature")
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	src := filepath.Dir(e.Abs())
	for _, f := range e.Files {
		abs := filepath.Join(e.Root, filepath.FromSlash(f))
		rel, err := filepath.Rel(src, abs)
		if err != nil || !filepath.IsLocal(rel) {
			t.Fatalf("file %s is not beside %s", f, e.Path)
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}
