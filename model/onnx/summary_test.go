package onnx

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestSummaryNonTensorTypes checks how inspect's summary spells sequence
// and optional inputs/outputs (from the corpus, against MANIFEST.json).
func TestSummaryNonTensorTypes(t *testing.T) {
	dir, entries := loadManifest(t)
	checked := 0
	for _, e := range entries {
		if !strings.Contains(e.Path, "_opt") && !strings.Contains(e.Path, "_seq") {
			continue
		}
		m, err := openFile(t, filepath.Join(dir, e.Path))
		if err != nil {
			t.Fatal(err)
		}
		s := model.Summarize(m)
		for i, v := range e.Facts.Outputs {
			want := spell(manifestType(v.Type))
			if got := string(s.Outputs[i].DType); got != want {
				t.Errorf("%s output %s: dtype %q, want %q", e.Path, v.Name, got, want)
			}
			checked++
		}
		if _, err := json.Marshal(s); err != nil {
			t.Error(err)
		}
	}
	if checked == 0 {
		t.Fatal("no sequence/optional models in the corpus")
	}
}

// spell renders a facts-notation type as model.TypeString would.
func spell(v any) string {
	m, _ := v.(map[string]any)
	if m == nil {
		return "?"
	}
	switch m["kind"] {
	case "sequence", "optional":
		return m["kind"].(string) + "(" + spell(m["elem"]) + ")"
	case "tensor":
		return m["dtype"].(string)
	}
	return "?"
}
