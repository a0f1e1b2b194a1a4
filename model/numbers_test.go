package model

import "testing"

// TestValueNumbersValid: numbers fit a graph only with every list as long
// as the graph's, every number in range, and -1 exactly for the empty
// names.
func TestValueNumbersValid(t *testing.T) {
	g := func() *Graph {
		return &Graph{
			Inputs:       []*Value{{Name: "x"}, {Name: ""}},
			Initializers: []*Tensor{{Name: "w"}},
			Nodes:        []*Node{{Inputs: []string{"x", "w", ""}, Outputs: []string{"y"}}, {Inputs: []string{"y"}, Outputs: []string{"z", ""}}},
			Outputs:      []*Value{{Name: "z"}},
		}
	}
	good := func() *ValueNumbers {
		return &ValueNumbers{Count: 4, Inputs: []int32{0, -1}, Initializers: []int32{1}, Outputs: []int32{3},
			Nodes: []int32{0, 1, -1, 2, 2, 3, -1}}
	}
	if !good().Valid(g()) {
		t.Fatal("fitting numbers are not valid")
	}
	var none *ValueNumbers
	if none.Valid(g()) {
		t.Error("nil numbers are valid")
	}
	for name, spoil := range map[string]func(*ValueNumbers, *Graph){
		"count too small":        func(n *ValueNumbers, _ *Graph) { n.Count = 3 },
		"an input list short":    func(n *ValueNumbers, _ *Graph) { n.Inputs = n.Inputs[:1] },
		"an output more":         func(n *ValueNumbers, g *Graph) { g.Outputs = append(g.Outputs, &Value{Name: "q"}) },
		"an initializer less":    func(n *ValueNumbers, g *Graph) { g.Initializers = nil },
		"a node's numbers short": func(n *ValueNumbers, _ *Graph) { n.Nodes = n.Nodes[:6] },
		"node numbers left over": func(n *ValueNumbers, _ *Graph) { n.Nodes = append(n.Nodes, 0) },
		"a name numbered -1":     func(n *ValueNumbers, _ *Graph) { n.Nodes[0] = -1 },
		"an empty name numbered": func(n *ValueNumbers, _ *Graph) { n.Inputs[1] = 2 },
		"a nil input":            func(n *ValueNumbers, g *Graph) { g.Inputs[1] = nil },
		"a nil node":             func(n *ValueNumbers, g *Graph) { g.Nodes[1] = nil },
	} {
		n, gr := good(), g()
		spoil(n, gr)
		if n.Valid(gr) {
			t.Errorf("%s: valid", name)
		}
	}
}
