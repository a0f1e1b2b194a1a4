package web

import (
	"github.com/modelpeek/modelpeek/model"
)

// expectedCounts computes, independently of the layout, how many model
// nodes and edges a fully expanded view of g draws: every node is a box
// except single-use constants, which are drawn inside their consumer
// (Constant nodes, and Identity nodes passing an initializer on); an edge
// joins each producer (node or graph input) to each consumer (node or graph
// output) of a value, once per pair (several values between the same pair
// share one line); weights (initializers) are drawn inside their consumer,
// not as edges; a value from outside the graph (a subgraph's outer scope)
// is an input box of its own.
func expectedCounts(g *model.Graph) (nodes, edges int) {
	nodes, edges, _ = expectedCountsInlined(g)
	return nodes, edges
}

// expectedCountsInlined is expectedCounts that also returns how many nodes
// are drawn inside their consumer.
func expectedCountsInlined(g *model.Graph) (nodes, edges, inlined int) {
	weights := map[string]bool{}
	for _, t := range g.Initializers {
		weights[t.Name] = true
	}
	uses := map[string]int{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				uses[in]++
			}
		}
	}
	isOutput := map[string]bool{}
	for _, v := range g.Outputs {
		isOutput[v.Name] = true
		uses[v.Name]++
	}
	producedBy := map[string]bool{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			producedBy[o] = true
		}
	}
	inline := map[int]bool{}
	for i, n := range g.Nodes {
		if n.Domain != "" || len(n.Outputs) != 1 || n.Outputs[0] == "" || len(n.Subgraphs()) > 0 {
			continue
		}
		o := n.Outputs[0]
		if uses[o] != 1 || isOutput[o] {
			continue
		}
		var in []string
		for _, x := range n.Inputs {
			if x != "" {
				in = append(in, x)
			}
		}
		switch {
		case n.OpType == "Constant" && len(in) == 0:
		case n.OpType == "Identity" && len(in) == 1 && weights[in[0]] && !producedBy[in[0]]:
		default:
			continue
		}
		inline[i] = true
	}
	type src struct {
		node  int
		input string
	}
	producer := map[string]src{}
	for _, v := range g.Inputs {
		if !weights[v.Name] {
			producer[v.Name] = src{node: -1, input: v.Name}
		}
	}
	for i, n := range g.Nodes {
		if inline[i] {
			continue
		}
		for _, o := range n.Outputs {
			if o != "" {
				producer[o] = src{node: i}
			}
		}
	}
	type pair struct {
		from src
		to   int
		out  string
	}
	pairs := map[pair]bool{}
	for j, n := range g.Nodes {
		if inline[j] {
			continue
		}
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			if p, ok := producer[in]; ok {
				pairs[pair{from: p, to: j}] = true
			} else if !weights[in] && !producedByInlined(g, inline, in) {
				// A value from the enclosing graph (a subgraph's outer
				// scope) is drawn as an input box of its own.
				pairs[pair{from: src{node: -1, input: "outer:" + in}, to: j}] = true
			}
		}
	}
	for _, v := range g.Outputs {
		if p, ok := producer[v.Name]; ok {
			pairs[pair{from: p, to: -1, out: v.Name}] = true
		}
	}
	return len(g.Nodes) - len(inline), len(pairs), len(inline)
}

// producedByInlined reports whether value v is the output of an inlined node.
func producedByInlined(g *model.Graph, inline map[int]bool, v string) bool {
	for i := range inline {
		for _, o := range g.Nodes[i].Outputs {
			if o == v {
				return true
			}
		}
	}
	return false
}
