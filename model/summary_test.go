package model

import (
	"maps"
	"testing"
)

// regionModel is a main graph whose "while" node holds a cond and a body
// subgraph, the body holding an "if" with one branch.
func regionModel(deep bool) *Model {
	branch := &Graph{Nodes: []*Node{{OpType: "mul"}, {OpType: "yield"}}}
	body := &Graph{Nodes: []*Node{{OpType: "add"}, {OpType: "if", Attrs: []Attribute{{Name: "then", Type: AttrGraph, Graphs: []*Graph{branch}}}}, {OpType: "yield"}}}
	cond := &Graph{Nodes: []*Node{{OpType: "cmp"}, {OpType: "yield"}}}
	while := &Node{OpType: "while", Attrs: []Attribute{
		{Name: "cond", Type: AttrGraph, Graphs: []*Graph{cond}},
		{Name: "body", Type: AttrGraph, Graphs: []*Graph{body}},
	}}
	return &Model{Graph: &Graph{Nodes: []*Node{{OpType: "add"}, while, {OpType: "return"}}}, OpsIncludeSubgraphs: deep}
}

func TestSummarizeOpsIncludeSubgraphs(t *testing.T) {
	s := Summarize(regionModel(false))
	if want := map[string]int{"add": 1, "while": 1, "return": 1}; !maps.Equal(s.Ops, want) {
		t.Errorf("top-level ops %v, want %v", s.Ops, want)
	}
	s = Summarize(regionModel(true))
	want := map[string]int{"add": 2, "while": 1, "return": 1, "cmp": 1, "yield": 3, "if": 1, "mul": 1}
	if !maps.Equal(s.Ops, want) {
		t.Errorf("ops with subgraphs %v, want %v", s.Ops, want)
	}
	if s.Nodes != 10 {
		t.Errorf("nodes %d, want 10", s.Nodes)
	}
}

func TestSummarizeDeepSubgraphs(t *testing.T) {
	// Nesting far deeper than a recursive walk could afford, and a nil
	// subgraph, are counted without exhausting the stack.
	const depth = 100_000
	inner := &Graph{Nodes: []*Node{{OpType: "leaf", Attrs: []Attribute{{Type: AttrGraph, Graphs: []*Graph{nil}}}}}}
	for i := 0; i < depth; i++ {
		inner = &Graph{Nodes: []*Node{{OpType: "nest", Attrs: []Attribute{{Type: AttrGraph, Graphs: []*Graph{inner}}}}}}
	}
	s := Summarize(&Model{Graph: inner, OpsIncludeSubgraphs: true})
	if s.Ops["nest"] != depth || s.Ops["leaf"] != 1 {
		t.Errorf("ops %v, want %d nest and 1 leaf", s.Ops, depth)
	}
}
