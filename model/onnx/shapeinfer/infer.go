// Package shapeinfer infers the dtype and shape of every value of an ONNX
// graph from its stored types and the standard operators' shape rules,
// folding the small integer constants that shapes are computed from
// (Shape → Gather → Concat → Reshape). Symbolic dimensions keep their
// names; what cannot be known stays unknown, never guessed.
package shapeinfer

import (
	"context"

	"github.com/modelpeek/modelpeek/model"
)

// Options tune inference.
type Options struct {
	// DType maps an ONNX TensorProto data type number (Cast's "to") to
	// its numpy spelling; nil leaves such outputs' dtype unknown.
	DType func(code int64) model.DType
	// Opset is the default-domain operator set version (0: latest rules).
	Opset int64
}

// Info holds the inferred types of a graph's values and the small
// integer constants folded on the way.
type Info struct {
	opt    Options
	types  map[string]*model.Type
	consts map[string]*constant
	inits  map[string]*model.Tensor
	// known is the number of values whose type was stored in the file.
	stored map[string]bool
}

// Type returns a value's type (stored or inferred), nil when unknown.
func (in *Info) Type(name string) *model.Type { return in.types[name] }

// Shape returns a value's shape, nil when its rank is unknown.
func (in *Info) Shape(name string) model.Shape {
	if t := in.types[name]; t != nil {
		return t.Shape
	}
	return nil
}

// Ints returns a folded integer constant's values (scalars as one value),
// and false when the value is not a known constant.
func (in *Info) Ints(name string) ([]int64, bool) {
	c := in.consts[name]
	if c == nil {
		return nil, false
	}
	out := make([]int64, len(c.vals))
	for i, d := range c.vals {
		if !d.Known {
			return nil, false
		}
		out[i] = d.Size
	}
	return out, true
}

// Infer infers the types of g's values. Stored types win; inference fills
// the values the file leaves untyped, and the dims it leaves unknown.
func Infer(ctx context.Context, g *model.Graph, opt Options) *Info {
	in := &Info{opt: opt, types: map[string]*model.Type{}, consts: map[string]*constant{},
		inits: map[string]*model.Tensor{}, stored: map[string]bool{}}
	if g == nil {
		return in
	}
	for _, t := range g.Initializers {
		in.inits[t.Name] = t
		in.types[t.Name] = &model.Type{Kind: model.KindTensor, DType: t.DType, Shape: model.ShapeOf(t.Shape)}
	}
	for _, vs := range [][]*model.Value{g.Inputs, g.ValueInfo, g.Outputs} {
		for _, v := range vs {
			if v.Type != nil && (v.Type.Kind != model.KindTensor || v.Type.Shape != nil || in.types[v.Name] == nil) {
				in.types[v.Name] = v.Type
				in.stored[v.Name] = true
			}
		}
	}
	for i, n := range g.Nodes {
		if i%256 == 0 && ctx.Err() != nil {
			break
		}
		in.node(n)
	}
	return in
}

// node infers one node's outputs, keeping stored types where they are
// complete.
func (in *Info) node(n *model.Node) {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return
	}
	c := &nodeCtx{in: in, n: n}
	rule := rules[n.OpType]
	if rule == nil {
		return
	}
	outs := rule(c)
	for i, t := range outs {
		if i >= len(n.Outputs) || n.Outputs[i] == "" || t == nil {
			continue
		}
		name := n.Outputs[i]
		in.types[name] = merge(in.types[name], t)
	}
	in.fold(c)
}

// merge keeps a stored type and fills its unknown parts from an inferred
// one of the same rank and dtype.
func merge(old, inf *model.Type) *model.Type {
	if old == nil || old.Kind != model.KindTensor {
		if old == nil {
			return inf
		}
		return old
	}
	out := *old
	if out.DType == "" {
		out.DType = inf.DType
	}
	switch {
	case out.Shape == nil:
		out.Shape = inf.Shape
	case len(out.Shape) == len(inf.Shape):
		s := append(model.Shape(nil), out.Shape...)
		for i, d := range s {
			if !d.Known && d.Param == "" {
				s[i] = inf.Shape[i]
			}
		}
		out.Shape = s
	}
	return &out
}

// Fill infers the main graph of an ONNX model and adds a ValueInfo entry
// for every value it types that the file left untyped (or typed without a
// shape), so that every edge can show its shape. It returns the Info.
func Fill(ctx context.Context, m *model.Model, opt Options) *Info {
	if m == nil || m.Graph == nil {
		return nil
	}
	if opt.Opset == 0 {
		for _, o := range m.Opsets {
			if o.Domain == "" || o.Domain == "ai.onnx" {
				opt.Opset = o.Version
			}
		}
	}
	g := m.Graph
	in := Infer(ctx, g, opt)
	have := map[string]int{}
	for i, v := range g.ValueInfo {
		have[v.Name] = i
	}
	for _, v := range g.Outputs {
		have[v.Name] = -1
		if t := in.types[v.Name]; t != nil && (v.Type == nil || v.Type.Shape == nil) {
			v.Type, v.Inferred = t, true
		}
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			t := in.types[o]
			if o == "" || t == nil || in.stored[o] && t.Shape == nil {
				continue
			}
			if i, ok := have[o]; ok {
				if i >= 0 && !typeEqual(g.ValueInfo[i].Type, t) {
					g.ValueInfo[i].Type, g.ValueInfo[i].Inferred = t, true
				}
				continue
			}
			have[o] = len(g.ValueInfo)
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: o, Type: t, Inferred: true})
		}
	}
	return in
}

// typeEqual reports whether two types print the same.
func typeEqual(a, b *model.Type) bool {
	return model.TypeString(a) == model.TypeString(b)
}
