package tfjs_test

import (
	"os"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/tfjs"
)

// TestWiring checks that every node input of every corpus model (and of
// the function bodies entered from it) is a graph input, an initializer or
// another node's output, and that located weights lie inside their
// present shard files.
func TestWiring(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "tfjs") {
		m, err := tfjs.Open(t.Context(), e.Abs())
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		graphs := append([]*model.Graph{m.Graph}, m.Functions...)
		for len(graphs) > 0 {
			g := graphs[0]
			graphs = graphs[1:]
			known := map[string]bool{}
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
			for _, v := range g.Outputs {
				if !known[v.Name] {
					t.Errorf("%s: graph %q output %q is produced by nothing", e.Name(), g.Name, v.Name)
				}
			}
		}
		checkLocations(t, e.Name(), m)
	}
}

func checkLocations(t *testing.T, name string, m *model.Model) {
	if n := len(m.Graph.Initializers); n > 0 {
		// Weights are packed back to back: the last ends its last shard.
		if loc := m.Graph.Initializers[n-1].Location; loc != nil && !loc.Missing {
			if st, err := os.Stat(loc.File); err == nil && loc.Offset+loc.Length != st.Size() {
				t.Errorf("%s: the last weight ends at %d, its shard at %d", name, loc.Offset+loc.Length, st.Size())
			}
		}
	}
	for _, x := range m.Graph.Initializers {
		loc := x.Location
		if loc == nil {
			t.Errorf("%s: weight %s has no location", name, x.Name)
			continue
		}
		st, err := os.Stat(loc.File)
		if loc.Missing {
			if err == nil {
				t.Errorf("%s: weight %s: %s marked missing but present", name, x.Name, loc.File)
			}
			continue
		}
		if err != nil || loc.Offset < 0 || loc.Offset+loc.Length > st.Size() {
			t.Errorf("%s: weight %s at %d+%d outside %s (%v)", name, x.Name, loc.Offset, loc.Length, loc.File, err)
		}
		if strings.Contains(x.Doc, "split") && loc.Offset+loc.Length != st.Size() {
			t.Errorf("%s: split weight %s does not run to the end of its shard", name, x.Name)
		}
	}
}
