package server

import (
	"maps"
	"testing"
)

// TestModelBrief checks that ?brief=1 answers the model detail with the
// weights counted by dtype instead of listed, the rest as without it.
func TestModelBrief(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	type detail struct {
		Summary struct {
			Nodes   int
			Tensors []map[string]any
		}
		Weights *weightCounts
	}
	var full, brief detail
	if code := getJSON(t, s, addr, "/api/models/m1", &full); code != 200 || full.Weights != nil || len(full.Summary.Tensors) == 0 {
		t.Fatalf("full detail: %d %+v", code, full)
	}
	if code := getJSON(t, s, addr, "/api/models/m1?brief=1", &brief); code != 200 || brief.Weights == nil || brief.Summary.Tensors != nil {
		t.Fatalf("brief detail: %d %+v", code, brief)
	}
	want := map[string]int{}
	for _, tn := range full.Summary.Tensors {
		want[tn["dtype"].(string)]++
	}
	if brief.Weights.Count != len(full.Summary.Tensors) || !maps.Equal(brief.Weights.DTypes, want) || brief.Summary.Nodes != full.Summary.Nodes {
		t.Errorf("brief %+v (%d nodes), want %d weights %v (%d nodes)", brief.Weights, brief.Summary.Nodes, len(full.Summary.Tensors), want, full.Summary.Nodes)
	}
}
