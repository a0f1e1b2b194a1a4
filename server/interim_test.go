package server

import (
	"context"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// TestInterimFirst: a page's view of a big main graph other than the
// default one lays the default view out first, so that the page's
// ?cached=1 finds it while the wanted view is being laid out; the default
// view itself, JSON answers, subgraphs and small graphs do not.
func TestInterimFirst(t *testing.T) {
	g := layout.GenTransformer(300)
	n := model.CountNodes(g)
	m := &model.Model{Format: "onnx", Graph: g}
	_, def := layoutOptions("", "")
	allOpts, all := layoutOptions("all", "")
	for _, tc := range []struct {
		name  string
		min   int // interimNodes
		key   graphKey
		first bool
	}{
		{"every group open, big graph", n, graphKey{expand: all, wire: true}, true},
		{"some groups open, big graph", n, graphKey{expand: "a|", wire: true}, true},
		{"small graph", n + 1, graphKey{expand: all, wire: true}, false},
		{"JSON", n, graphKey{expand: all}, false},
		{"the default view", n, graphKey{expand: def, wire: true}, false},
		{"a subgraph", n, graphKey{path: "0.0", expand: all, wire: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib := newFakeLib()
			lib.add("m", "m.onnx", m)
			s, _ := startServer(t, lib, nil)
			s.interimNodes = tc.min
			key := tc.key
			key.id, key.version = "m", 1
			opts := allOpts
			if key.expand == def {
				opts = layout.Options{}
			}
			if _, err := s.graphs.get(context.Background(), key, s.viewBytes(key, g, opts)); err != nil {
				t.Fatal(err)
			}
			ikey := graphKey{id: "m", version: 1, expand: def, wire: true}
			if _, ok := s.graphs.peek(ikey); ok != tc.first && key != ikey {
				t.Errorf("default view laid out: %v, want %v", ok, tc.first)
			}
			want := int64(1)
			if tc.first {
				want = 2
			}
			if got := s.LayoutsComputed(); got != want {
				t.Errorf("%d layouts computed, want %d", got, want)
			}
		})
	}
}
