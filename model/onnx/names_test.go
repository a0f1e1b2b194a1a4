package onnx

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// sameBytes reports whether a and b are the same bytes in memory, not
// only equal (the test alone reads string pointers).
func sameBytes(a, b string) bool {
	return a == b && unsafe.StringData(a) == unsafe.StringData(b)
}

// inside reports whether s lies within the bytes of whole.
func inside(s, whole string) bool {
	p, w := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(whole)))
	return p >= w && p+uintptr(len(s)) <= w+uintptr(len(whole))
}

// TestNamesShared: a value's name is one string wherever it appears (its
// producer's output, its consumer's input, its initializer and the
// weight's consumers), and a node named like its output
// ("…/MatMul" and "…/MatMul_output_0") keeps its name within the output's.
func TestNamesShared(t *testing.T) {
	m, err := decodeBytes(context.Background(), namedChain(50), "/nonexistent/chain.onnx")
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	weights := map[string]string{}
	for _, w := range g.Initializers {
		weights[w.Name] = w.Name
	}
	for i, n := range g.Nodes {
		if i > 0 && !sameBytes(n.Inputs[0], g.Nodes[i-1].Outputs[0]) {
			t.Fatalf("node %d reads %q, a copy of what node %d writes", i, n.Inputs[0], i-1)
		}
		if w := weights[n.Inputs[1]]; !sameBytes(n.Inputs[1], w) {
			t.Fatalf("node %d reads weight %q, a copy of its initializer's name", i, n.Inputs[1])
		}
		if !strings.HasPrefix(n.Outputs[0], n.Name) || !inside(n.Name, n.Outputs[0]) {
			t.Fatalf("node %d: name %q is not part of its output %q", i, n.Name, n.Outputs[0])
		}
	}
}

// namedChain is a chain of n MatMul nodes named as PyTorch's exporter
// names them, reading initializers listed after the nodes (as protobuf
// writers order GraphProto's fields).
func namedChain(n int) []byte {
	var g []byte
	prev := "x"
	for i := range n {
		name := "/layers." + strconv.Itoa(i) + "/MatMul"
		out := name + "_output_0"
		node := pbString(nil, nodeInput, prev)
		node = pbString(node, nodeInput, "w"+string(rune('a'+i%26)))
		node = pbString(node, nodeOutput, out)
		node = pbString(node, nodeName, name)
		node = pbString(node, nodeOpType, "MatMul")
		g = pbBytes(g, graphNode, node)
		prev = out
	}
	for i := range 26 {
		t := pbVarint(nil, tensorDims, 4)
		t = pbVarint(t, tensorDataType, 1)
		t = pbString(t, tensorName, "w"+string(rune('a'+i)))
		g = pbBytes(g, graphInitializer, t)
	}
	g = pbBytes(g, graphInput, tensorValueInfo("x", "batch", 4))
	return pbBytes(modelHeader(), modelGraph, g)
}
