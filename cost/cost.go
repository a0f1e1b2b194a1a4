// Package cost counts what a model costs to run: parameters (stored
// weight elements and their bytes), multiply-accumulates (MACs) per node
// and in total, the bytes of the activations each node writes, and a
// peak-memory estimate along the graph's execution order.
//
// It reads the graph IR only: the shapes come from the values' types
// (stored by the file or inferred, such as ONNX shape inference records
// in ValueInfo). Symbolic dimensions (batch, sequence) stay symbolic in
// each node's formula and are evaluated at 1 unless Options.Dims sets
// them. A node whose figures need a shape that is not known is counted
// as unknown, never guessed.
package cost

import (
	"context"

	"github.com/modelpeek/modelpeek/model"
)

// Options tune the count.
type Options struct {
	// Dims gives symbolic dimensions a value; a symbol not set counts 1.
	Dims map[string]int64
}

// Node is one node's cost, its figures evaluated with Options.Dims.
type Node struct {
	// MACs are the multiply-accumulates of matrix products, convolutions,
	// attention and recurrent cells.
	MACs int64 `json:"macs"`
	// OtherOps counts the other arithmetic (elementwise, activations,
	// normalization, pooling, reductions) as one operation per element
	// touched; data movement (reshape, transpose, gather, ...) counts 0.
	OtherOps int64 `json:"other_ops"`
	// Params and ParamBytes are the stored weights the node consumes
	// (a weight shared by several nodes counts at its first consumer).
	Params     int64 `json:"params"`
	ParamBytes int64 `json:"param_bytes"`
	// ActivationBytes are the bytes of the node's outputs.
	ActivationBytes int64 `json:"activation_bytes"`
	// Unknown says MACs or OtherOps could not be counted: a shape they
	// need is not known.
	Unknown bool `json:"unknown,omitempty"`
	// BytesUnknown says some output's size is not known.
	BytesUnknown bool `json:"bytes_unknown,omitempty"`
	// Formula is MACs before evaluation (symbols kept).
	Formula Term `json:"-"`
}

// Totals are a graph's figures.
type Totals struct {
	// Params and ParamBytes count every stored weight of the graph
	// (quantized types per element; bytes as stored).
	Params     int64 `json:"params"`
	ParamBytes int64 `json:"param_bytes"`
	MACs       int64 `json:"macs"`
	OtherOps   int64 `json:"other_ops"`
	// ActivationBytes sums every node's outputs.
	ActivationBytes int64 `json:"activation_bytes"`
	// PeakBytes is the largest sum of live activations (graph inputs and
	// node outputs, from producer to last consumer; graph outputs to the
	// end) at any node of the execution order. Weights are ParamBytes.
	PeakBytes int64 `json:"peak_bytes"`
	// UnknownNodes counts nodes whose MACs or other ops are unknown.
	UnknownNodes int `json:"unknown_nodes"`
	// UnsizedNodes counts nodes with an output of unknown size: the
	// activation and peak figures leave those outputs out.
	UnsizedNodes int `json:"unsized_nodes"`
}

// Report is a graph's cost.
type Report struct {
	Totals
	// MACsFormula is the total MACs as a polynomial of the symbolic
	// dimensions ("1814083944·batch"), set only when a symbol is in it.
	MACsFormula string `json:"macs_formula,omitempty"`
	// Symbols lists the symbolic dimensions met, with the value each was
	// evaluated at.
	Symbols map[string]int64 `json:"symbols,omitempty"`
	// LLM is set for a language model's architecture graph.
	LLM *LLM `json:"llm,omitempty"`
	// Nodes are per node of the graph, in its order.
	Nodes []Node `json:"-"`
}

// Model counts the cost of m's main graph; nil when it has none.
func Model(ctx context.Context, m *model.Model, opt Options) *Report {
	if m == nil || m.Graph == nil {
		return nil
	}
	return Graph(ctx, m.Graph, opt)
}

// Graph counts the cost of g's nodes; a cancelled ctx stops early with
// the nodes counted so far.
func Graph(ctx context.Context, g *model.Graph, opt Options) *Report {
	return graphIn(ctx, g, opt, nil)
}

// graphIn counts g within an enclosing graph's scope (nil at the root).
func graphIn(ctx context.Context, g *model.Graph, opt Options, parent *scope) *Report {
	sc := newScope(g, opt)
	sc.ctx, sc.parent = ctx, parent
	sc.walk = &walk{bodies: map[*model.Graph]*Report{}, budget: maxBodyNodes}
	if parent != nil {
		sc.depth, sc.walk = parent.depth+1, parent.walk
	}
	r := &Report{Nodes: make([]Node, len(g.Nodes))}
	poly := Poly{}
	taken := make(map[string]bool, len(sc.inits))
	for i, n := range g.Nodes {
		if i%1024 == 0 && ctx.Err() != nil {
			break
		}
		nd := sc.node(n, taken)
		r.Nodes[i] = nd
		poly.add(nd.Formula)
		r.OtherOps = satAdd(r.OtherOps, nd.OtherOps)
		r.ActivationBytes = satAdd(r.ActivationBytes, nd.ActivationBytes)
		if nd.Unknown {
			r.UnknownNodes++
		}
		if nd.BytesUnknown {
			r.UnsizedNodes++
		}
	}
	r.MACs = evalPoly(poly, opt.Dims)
	if poly.Symbolic() {
		r.MACsFormula = poly.String()
	}
	r.Params, r.ParamBytes = sc.weightTotals(g)
	r.PeakBytes = sc.peak(g)
	if len(sc.syms) > 0 {
		r.Symbols = sc.syms
	}
	if sc.llm {
		r.LLM = llmCost(g, r.Nodes, opt)
	}
	return r
}

// evalPoly evaluates a polynomial, saturating.
func evalPoly(p Poly, dims map[string]int64) int64 {
	var sum int64
	for k, c := range p {
		t := Term{Coef: c}
		if k != "" {
			t.Syms = splitKey(k)
		}
		sum = satAdd(sum, t.Eval(dims))
	}
	return sum
}

// Chain counts the last graph of chain, a subgraph path from a root graph
// (each graph a body of a node of the one before): the enclosing graphs
// give the types of the outer values it reads.
func Chain(ctx context.Context, chain []*model.Graph, opt Options) *Report {
	if len(chain) == 0 {
		return &Report{}
	}
	var parent *scope
	for _, g := range chain[:len(chain)-1] {
		sc := newScope(g, opt)
		sc.ctx, sc.parent = ctx, parent
		sc.walk = &walk{bodies: map[*model.Graph]*Report{}, budget: maxBodyNodes}
		if parent != nil {
			sc.depth, sc.walk = parent.depth+1, parent.walk
		}
		parent = sc
	}
	return graphIn(ctx, chain[len(chain)-1], opt, parent)
}
