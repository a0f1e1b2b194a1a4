package cost

import (
	"context"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// scope is what the count knows of one graph: value types, weights and
// the symbols met.
type scope struct {
	ctx   context.Context
	opt   Options
	types map[string]*model.Type
	inits map[string]*model.Tensor
	// syms maps each symbolic dimension met to its value.
	syms map[string]int64
	// llm marks a language model's architecture graph (model/internal/llm);
	// producers then maps each value to its node.
	llm       bool
	producers map[string]*model.Node
	// sizes caches valueBytes (-1: unknown).
	sizes map[string]int64
	// parent is the enclosing graph's scope, for a body's outer values.
	parent *scope
	// depth is the nesting of bodies.
	depth int
	// walk is shared by a root graph and every body counted under it.
	walk *walk
}

// maxBodyNodes bounds the nodes of bodies counted under one root graph
// (a hostile file nests and shares bodies).
const maxBodyNodes = 1 << 22

// walk is the state of one count shared with its bodies: each body graph
// is counted once, and the nodes counted in bodies stay within a budget.
type walk struct {
	bodies map[*model.Graph]*Report
	budget int
}

func newScope(g *model.Graph, opt Options) *scope {
	sc := &scope{
		opt:   opt,
		types: make(map[string]*model.Type, len(g.Inputs)+len(g.ValueInfo)+len(g.Outputs)),
		inits: make(map[string]*model.Tensor, len(g.Initializers)),
		syms:  map[string]int64{},
		sizes: make(map[string]int64, 2*len(g.Nodes)),
	}
	for _, t := range g.Initializers {
		if t != nil {
			sc.inits[t.Name] = t
		}
	}
	for _, vs := range [][]*model.Value{g.Inputs, g.ValueInfo, g.Outputs} {
		for _, v := range vs {
			if v != nil && v.Type != nil && v.Type.Kind == model.KindTensor && (sc.types[v.Name] == nil || v.Type.Shape != nil) {
				sc.types[v.Name] = v.Type
			}
		}
	}
	if sc.llm = isLLM(g); sc.llm {
		sc.producers = make(map[string]*model.Node, len(g.Nodes))
		for _, n := range g.Nodes {
			for _, o := range n.Outputs {
				sc.producers[o] = n
			}
		}
	}
	return sc
}

// shape returns a value's shape (a weight's stored shape), nil when
// unknown.
func (sc *scope) shape(name string) model.Shape {
	if name == "" {
		return nil
	}
	if t := sc.inits[name]; t != nil {
		return model.ShapeOf(t.Shape)
	}
	if t := sc.types[name]; t != nil {
		return t.Shape
	}
	if sc.parent != nil {
		return sc.parent.shape(name)
	}
	return nil
}

// dtype returns a value's element type, "" when unknown.
func (sc *scope) dtype(name string) model.DType {
	if t := sc.inits[name]; t != nil {
		return t.DType
	}
	if t := sc.types[name]; t != nil {
		return t.DType
	}
	return ""
}

// note records the symbols of a term with the value they evaluate to.
func (sc *scope) note(t Term) {
	for _, s := range t.Syms {
		if _, ok := sc.syms[s]; ok {
			continue
		}
		v, ok := sc.opt.Dims[s]
		if !ok {
			v = 1
		}
		sc.syms[s] = v
	}
}

// node counts one node; taken marks the weights already counted.
func (sc *scope) node(n *model.Node, taken map[string]bool) Node {
	var nd Node
	// A weight container (a weight-only file's module) performs nothing:
	// it has no MACs and nothing about it is unknown.
	if !n.Container {
		c := &nodeCtx{sc: sc, n: n}
		if macs, other, ok := c.count(); ok {
			sc.note(macs)
			sc.note(other)
			nd.Formula = macs
			nd.MACs = macs.Eval(sc.opt.Dims)
			nd.OtherOps = other.Eval(sc.opt.Dims)
		} else {
			nd.Unknown = true
		}
	}
	for _, in := range n.Inputs {
		t := sc.inits[in]
		if t == nil || taken[in] {
			continue
		}
		taken[in] = true
		e, b := tensorSize(t)
		nd.Params, nd.ParamBytes = satAdd(nd.Params, e), satAdd(nd.ParamBytes, b)
	}
	for _, o := range n.Outputs {
		if o == "" {
			continue
		}
		b, ok := sc.valueBytes(o)
		if !ok {
			nd.BytesUnknown = true
		}
		nd.ActivationBytes = satAdd(nd.ActivationBytes, b)
	}
	return nd
}

// valueBytes is a value's size in bytes; false when its shape or
// element size is unknown.
func (sc *scope) valueBytes(name string) (int64, bool) {
	if b, ok := sc.sizes[name]; ok {
		return max(b, 0), b >= 0
	}
	b, ok := sc.sizeOf(name)
	if !ok {
		b = -1
	}
	sc.sizes[name] = b
	return max(b, 0), ok
}

// sizeOf is valueBytes uncached.
func (sc *scope) sizeOf(name string) (int64, bool) {
	t := sc.types[name]
	if t == nil || t.Kind != model.KindTensor || t.Shape == nil {
		return 0, false
	}
	n, ok := one().mulShape(t.Shape)
	if !ok {
		return 0, false
	}
	sc.note(n)
	return elemBytes(t.DType, n.Eval(sc.opt.Dims))
}

// elemBytes is the size of n elements of dt; false for a dtype without a
// fixed size.
func elemBytes(dt model.DType, n int64) (int64, bool) {
	if sz, ok := model.DTypeSize(dt); ok {
		return satMul(n, int64(sz)), true
	}
	switch dt {
	case "int4", "uint4", "float4_e2m1fn":
		return n/2 + n%2, true
	}
	return 0, false
}

// tensorSize is a stored tensor's element count and bytes: by element
// size for fixed-width types, else (block-quantized, strings) the bytes
// the file stores.
func tensorSize(t *model.Tensor) (elems, bytes int64) {
	e, ok := model.NumElements(t.Shape)
	if !ok {
		return 0, 0
	}
	if b, ok := elemBytes(t.DType, e); ok {
		return e, b
	}
	if t.Location != nil {
		return e, t.Location.Length
	}
	return e, 0
}

// weightTotals counts every stored weight of g once.
func (sc *scope) weightTotals(g *model.Graph) (elems, bytes int64) {
	seen := make(map[string]bool, len(g.Initializers))
	for _, t := range g.Initializers {
		if t == nil || seen[t.Name] {
			continue
		}
		seen[t.Name] = true
		e, b := tensorSize(t)
		elems, bytes = satAdd(elems, e), satAdd(bytes, b)
	}
	return elems, bytes
}

// splitKey is the inverse of Term.key.
func splitKey(k string) []string { return strings.Split(k, "·") }
