package openvino_test

import (
	"os"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/openvino"
)

// TestManifestFacts checks every openvino entry of the shared manifests
// (corpus and real-world) against its reference facts.
func TestManifestFacts(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "openvino"), openvino.Open)
}

// TestWiring checks that every node input of every manifest model, and
// of the bodies nested in it, is a graph input, an initializer or another
// node's output.
func TestWiring(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "openvino") {
		m, err := openvino.Open(t.Context(), e.Abs())
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		checkWeights(t, e.Name(), m)
		graphs := []*model.Graph{m.Graph}
		for len(graphs) > 0 {
			g := graphs[0]
			graphs = graphs[1:]
			known := map[string]bool{"": true}
			for _, v := range g.Inputs {
				known[v.Name] = true
			}
			for _, x := range g.Initializers {
				known[x.Name] = true
			}
			for _, n := range g.Nodes {
				for _, o := range n.Outputs {
					known[o] = true
				}
			}
			for _, n := range g.Nodes {
				for _, in := range n.Inputs {
					if !known[in] {
						t.Errorf("%s: graph %q node %s input %q is produced by nothing", e.Name(), g.Name, n.Name, in)
					}
				}
				graphs = append(graphs, n.Subgraphs()...)
			}
		}
	}
}

// checkWeights checks that each weight is located inside the .bin (or
// marked missing with it), raw when its size says so.
func checkWeights(t *testing.T, name string, m *model.Model) {
	for _, x := range m.Graph.Initializers {
		l := x.Location
		if l == nil {
			t.Errorf("%s: weight %s has no location", name, x.Name)
			continue
		}
		st, err := os.Stat(l.File)
		if l.Missing != (err != nil) {
			t.Errorf("%s: weight %s: missing %v, stat error %v", name, x.Name, l.Missing, err)
			continue
		}
		if !l.Missing && (l.Offset < 0 || l.Offset+l.Length > st.Size()) {
			t.Errorf("%s: weight %s at %d+%d outside the %d-byte .bin", name, x.Name, l.Offset, l.Length, st.Size())
		}
		es, ok := model.DTypeSize(x.DType)
		n, _ := model.NumElements(x.Shape)
		if ok && l.Encoding == model.EncRaw && n*int64(es) != l.Length {
			t.Errorf("%s: raw weight %s holds %d bytes for %d elements of %s", name, x.Name, l.Length, n, x.DType)
		}
	}
}
