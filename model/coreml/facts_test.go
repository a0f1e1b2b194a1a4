package coreml

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
)

// TestManifest checks every coreml entry of both manifests against its
// reference facts.
func TestManifest(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "coreml"), Open)
}

// specFiles returns the protobuf spec of every .mlmodel and .mlpackage
// entry of the manifests.
func specFiles(t *testing.T) []string {
	var out []string
	for _, e := range testenv.ManifestEntries(t, "coreml") {
		p := e.Abs()
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			p = filepath.Join(p, "Data", "com.apple.CoreML", "model.mlmodel")
		}
		if _, err := os.Stat(p); err == nil && filepath.Ext(p) == ".mlmodel" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		t.Fatal("no spec files in the manifests")
	}
	return out
}

// TestWindowedMatchesWhole decodes every spec through the read window (as
// files over wholeFileLimit are) and checks the result is the same model.
func TestWindowedMatchesWhole(t *testing.T) {
	for _, p := range specFiles(t) {
		whole, err := openSpecFile(t.Context(), p, wholeFileLimit)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		windowed, err := openSpecFile(t.Context(), p, 0)
		if err != nil {
			t.Fatalf("%s windowed: %v", p, err)
		}
		a, _ := json.Marshal(whole)
		b, _ := json.Marshal(windowed)
		if string(a) != string(b) {
			t.Errorf("%s: the windowed decode differs from the whole-file one", filepath.Base(p))
		}
		if !reflect.DeepEqual(model.Summarize(whole), model.Summarize(windowed)) {
			t.Errorf("%s: summaries differ", filepath.Base(p))
		}
	}
}
