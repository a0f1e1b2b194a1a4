package onnx

import (
	"context"
	"testing"
)

// TestAttrsShared: nodes whose attributes are the same bytes share one
// decoded list; other values, and lists holding a graph, do not.
func TestAttrsShared(t *testing.T) {
	intAttr := func(name string, v uint64) []byte {
		a := pbString(nil, attrName, name)
		a = pbVarint(a, attrI, v)
		return pbVarint(a, attrType, atInt)
	}
	branch := pbBytes(nil, graphNode, pbString(nil, nodeOpType, "Identity"))
	graphAttr := pbVarint(pbBytes(pbString(nil, attrName, "then_branch"), attrG, branch), attrType, atGraph)
	var g []byte
	for i, attrs := range [][][]byte{
		{intAttr("axis", 1)}, {intAttr("axis", 1)}, {intAttr("axis", 2)},
		{intAttr("axis", 1), intAttr("keepdims", 0)}, {intAttr("axis", 1), intAttr("keepdims", 0)},
		{graphAttr}, {graphAttr}, {},
	} {
		node := pbString(nil, nodeOutput, "t"+string(rune('a'+i)))
		node = pbString(node, nodeOpType, "Op")
		for _, a := range attrs {
			node = pbBytes(node, nodeAttribute, a)
		}
		g = pbBytes(g, graphNode, node)
	}
	m, err := decodeBytes(context.Background(), pbBytes(modelHeader(), modelGraph, g), "/nonexistent/attrs.onnx")
	if err != nil {
		t.Fatal(err)
	}
	n := m.Graph.Nodes
	same := func(i, j int) bool { return &n[i].Attrs[0] == &n[j].Attrs[0] }
	if !same(0, 1) || !same(3, 4) {
		t.Error("nodes with the same attributes do not share their list")
	}
	if same(0, 2) || same(0, 3) || same(5, 6) {
		t.Error("a list shared between different attributes, or holding a graph")
	}
	if n[2].Attrs[0].Int != 2 || len(n[3].Attrs) != 2 || n[3].Attrs[1].Name != "keepdims" || n[7].Attrs != nil {
		t.Errorf("attributes decoded wrong: %+v %+v %+v", n[2].Attrs, n[3].Attrs, n[7].Attrs)
	}
	if len(n[5].Attrs[0].Graphs) != 1 || n[5].Attrs[0].Graphs[0] == n[6].Attrs[0].Graphs[0] {
		t.Error("graph attributes not decoded each on their own")
	}
}
