package model

import (
	"strconv"
	"strings"
)

// FindTensor returns the tensor called name: an initializer or a
// constant-valued attribute of the main graph or its nested subgraphs, then
// of the functions. "subgraphK/NAME" (K ≥ 1) names a tensor of
// Functions[K-1] when no tensor is called that outright (TFLite subgraphs).
func FindTensor(m *Model, name string) *Tensor {
	if m == nil {
		return nil
	}
	graphs := append([]*Graph{m.Graph}, m.Functions...)
	for _, g := range graphs {
		if t := findInGraph(g, name, 0); t != nil {
			return t
		}
	}
	rest, ok := strings.CutPrefix(name, "subgraph")
	k, tail, ok2 := strings.Cut(rest, "/")
	if i, err := strconv.Atoi(k); ok && ok2 && err == nil && i >= 1 && i <= len(m.Functions) {
		return findInGraph(m.Functions[i-1], tail, 0)
	}
	return nil
}

// maxFindDepth bounds the nesting of subgraphs searched.
const maxFindDepth = 64

func findInGraph(g *Graph, name string, depth int) *Tensor {
	if g == nil || depth > maxFindDepth {
		return nil
	}
	for _, t := range g.Initializers {
		if t.Name == name {
			return t
		}
	}
	for _, n := range g.Nodes {
		for _, a := range n.Attrs {
			for _, t := range a.Tensors {
				if t != nil && (t.Name == name || (t.Name == "" && len(n.Outputs) == 1 && n.Outputs[0] == name)) {
					return t
				}
			}
			for _, sg := range a.Graphs {
				if t := findInGraph(sg, name, depth+1); t != nil {
					return t
				}
			}
		}
	}
	return nil
}
