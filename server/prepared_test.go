package server

import (
	"testing"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// Expand and collapse re-lay out a prepared graph; collapse closes a group
// that the expand list (or expand=all) would open.
func TestGraphExpandCollapse(t *testing.T) {
	lib := newFakeLib()
	lib.add("big", "big.onnx", &model.Model{Format: "onnx", Graph: layout.GenTransformer(3000)})
	s, addr := startServer(t, lib, nil)
	var all layout.View
	if code := getJSON(t, s, addr, "/api/models/big/graph?expand=all", &all); code != 200 {
		t.Fatalf("expand=all: %d", code)
	}
	var open string
	for _, g := range all.Groups {
		if !g.Collapsed && g.Parent == "" && g.Count > 1 {
			open = g.ID
			break
		}
	}
	if open == "" {
		t.Fatal("no open top-level group under expand=all")
	}
	var v layout.View
	if code := getJSON(t, s, addr, "/api/models/big/graph?expand=all&collapse="+open, &v); code != 200 {
		t.Fatalf("collapse: %d", code)
	}
	found := false
	for _, g := range v.Groups {
		if g.ID == open {
			found = true
			if !g.Collapsed {
				t.Errorf("group %s still open after collapse=", open)
			}
		}
	}
	if !found || v.Stats.ModelNodes >= all.Stats.ModelNodes {
		t.Errorf("collapse did not hide nodes: found=%v, %d vs %d boxes", found, v.Stats.ModelNodes, all.Stats.ModelNodes)
	}
	if n := len(s.preps.m); n != 1 {
		t.Errorf("%d prepared graphs kept, want 1 (one model version, one path)", n)
	}
}
