package openvino_test

import (
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/openvino"
)

// TestLayout lays out the main graph and every subgraph of each manifest
// model, as the viewer does.
func TestLayout(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "openvino") {
		m, err := openvino.Open(t.Context(), e.Abs())
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		graphs := append([]*model.Graph{m.Graph}, m.Functions...)
		for i := 0; i < len(graphs); i++ {
			for _, n := range graphs[i].Nodes {
				graphs = append(graphs, n.Subgraphs()...)
			}
			if _, err := layout.Layout(t.Context(), graphs[i], layout.Options{}); err != nil {
				t.Errorf("%s: graph %d (%s): %v", e.Name(), i, graphs[i].Name, err)
			}
		}
	}
}
