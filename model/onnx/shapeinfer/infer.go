// Package shapeinfer infers the dtype and shape of every value of an ONNX
// graph from its stored types and the standard operators' shape rules,
// folding the small integer constants that shapes are computed from
// (Shape → Gather → Concat → Reshape). Symbolic dimensions keep their
// names; what cannot be known stays unknown, never guessed.
package shapeinfer

import (
	"context"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// Options tune inference.
type Options struct {
	// DType maps an ONNX TensorProto data type number (Cast's "to") to
	// its numpy spelling; nil leaves such outputs' dtype unknown.
	DType func(code int64) model.DType
	// Opset is the default-domain operator set version (0: latest rules).
	Opset int64
	// Functions are the model-local functions by "domain::name" (the
	// decoder's Graph.Name): a call is inferred through the body.
	Functions map[string]*model.Graph
	// calls bounds the function-body nodes inferred for calls, shared by
	// every graph of one Fill; callDepth is the nesting of calls.
	calls     *int
	callDepth int
}

// Info holds the inferred types of a graph's values and the small
// integer constants folded on the way.
type Info struct {
	opt Options
	// ids numbers every value name met in the graph; vals holds what is
	// known of each, by that number. One map lookup of a name finds all
	// of it: with a map by name for each kind of fact (types,
	// initializers, stored names, listed names, constants), a
	// 100,000-node graph's lookups and the maps' set-up took most of its
	// inference (issue 26).
	ids  map[string]int32
	vals []value
	// num is set when the caller numbers the values instead (a Stream
	// fed by the decoder, numbered.go); ids is then nil.
	num *numbering
	// parent is the enclosing graph's Info, for a subgraph's outer values.
	parent *Info
	// rec gathers what record adds while the nodes are inferred.
	rec recorder
	// nc is the context of the node being inferred, one for all of them:
	// a rule is called through a func value, so a context made per node
	// would escape to the heap (100,000 allocations for as many nodes).
	// node is never re-entered on one Info: subgraphs and function bodies
	// have Infos of their own.
	nc nodeCtx
	// ins holds nc's input types.
	ins []*model.Type
	// fields is the set-up of the graph's values before its nodes
	// (fields.go).
	fields fieldState
}

// value is what an Info knows of one value of its graph.
type value struct {
	t    *model.Type   // stored or inferred; nil when unknown
	init *model.Tensor // the initializer of that name
	// c is the value folded as a small integer constant, once folded is
	// set (nil: it is not one).
	c *constant
	// float is a Constant node's tensor, read on demand as floats.
	float *model.Tensor
	// listed is, for the recorder, the index+1 of the value's (last)
	// ValueInfo entry, -1 for a graph output, 0 for neither.
	listed int32
	folded bool
	stored bool // the type was read from the file
	seen   bool // recorder: a node made this listed value
	left   bool // recorder: a node made it without typing it
}

// local returns the value name of in's own graph, nil when in has not
// met it.
func (in *Info) local(name string) *value {
	if id, ok := in.find(name); ok {
		return &in.vals[id]
	}
	return nil
}

// find returns the number of value name of in's own graph, if in has
// met it.
func (in *Info) find(name string) (int32, bool) {
	if in.num != nil {
		return in.findNumbered(name)
	}
	id, ok := in.ids[name]
	return id, ok
}

// slot returns the value name of in's own graph, made if new (a value
// of nowhere if a numbered Info cannot find it). The pointer is good
// until the next value is made.
func (in *Info) slot(name string) *value {
	id := in.id(name)
	if id < 0 {
		return &value{}
	}
	return &in.vals[id]
}

// Type returns a value's type (stored or inferred), nil when unknown.
func (in *Info) Type(name string) *model.Type {
	for i := in; i != nil; i = i.parent {
		if v := i.local(name); v != nil && v.t != nil {
			return v.t
		}
	}
	return nil
}

// Shape returns a value's shape, nil when its rank is unknown.
func (in *Info) Shape(name string) model.Shape {
	if t := in.Type(name); t != nil {
		return t.Shape
	}
	return nil
}

// Ints returns a folded integer constant's values (scalars as one value),
// and false when the value is not a known constant.
func (in *Info) Ints(name string) ([]int64, bool) {
	v := in.local(name)
	if v == nil || v.c == nil {
		return nil, false
	}
	c := v.c
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
	opt.calls = newCallBudget()
	return infer(ctx, g, opt, nil)
}

// infer is Infer within an enclosing graph's Info (nil for a root graph).
func infer(ctx context.Context, g *model.Graph, opt Options, parent *Info) *Info {
	if g == nil {
		return newInfo(nil, opt, parent, 0)
	}
	in := newInfo(g, opt, parent, len(g.Nodes))
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
func (in *Info) node(n *model.Node) { in.numberedNode(n, nil) }

// numberedNode is node with the numbers of n's inputs, then outputs
// (nil: by name).
func (in *Info) numberedNode(n *model.Node, ids []int32) {
	in.setCurrent(n, ids)
	rule := rules[n.OpType]
	if n.Domain != "" && n.Domain != "ai.onnx" {
		rule = domainRules[n.Domain+"::"+n.OpType]
	}
	if f := in.opt.Functions[n.Domain+"::"+n.OpType]; f != nil && rule == nil {
		rule = callRule(f)
	}
	if rule == nil {
		for i, name := range n.Outputs {
			if name != "" {
				in.untyped(in.outID(n, i))
			}
		}
		return
	}
	c := &in.nc
	*c = nodeCtx{in: in, n: n, ins: in.inputTypes(n)}
	defer func() { *c = nodeCtx{} }()
	outs := rule(c)
	for i, name := range n.Outputs {
		switch {
		case name == "":
		case i >= len(outs) || outs[i] == nil:
			in.untyped(in.outID(n, i))
		default:
			id := in.outID(n, i)
			if id < 0 {
				in.rec.stop()
				continue
			}
			old := in.vals[id].t
			t := merge(old, outs[i])
			in.vals[id].t = t
			in.rec.typed(in, id, name, old, t)
		}
	}
	in.fold(c)
}

// id returns the number of value name of in's own graph, made if new;
// -1 if a numbered Info cannot find it.
func (in *Info) id(name string) int32 {
	if in.num != nil {
		if id, ok := in.findNumbered(name); ok {
			return id
		}
		return -1
	}
	id, ok := in.ids[name]
	if !ok {
		id = int32(len(in.vals))
		in.ids[name] = id
		in.vals = append(in.vals, value{})
	}
	return id
}

// inputTypes looks n's inputs' types up once for its rule, which reads
// each of them several times (typ); nil entries are unknown or absent.
func (in *Info) inputTypes(n *model.Node) []*model.Type {
	ins := in.ins[:0]
	for i, name := range n.Inputs {
		var t *model.Type
		if id, ok := in.inID(i); ok {
			t = in.vals[id].t
		} else if name != "" {
			t = in.Type(name)
		}
		ins = append(ins, t)
	}
	in.ins = ins
	return ins
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
	if old.DType != "" && old.Shape != nil && !fillable(old.Shape, inf.Shape) {
		return old // nothing to fill: types are not changed, so no copy
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

// Fill infers every graph of an ONNX model (the main graph, the
// subgraphs of its nodes within their outer scope, the functions) and
// adds a ValueInfo entry, marked Inferred, for every value the file left
// untyped (or typed without a shape), so that every edge can show its
// shape. It returns the main graph's Info.
func Fill(ctx context.Context, m *model.Model, opt Options) *Info {
	if m == nil || m.Graph == nil {
		return nil
	}
	opt = fillOptions(m, opt)
	in := fillGraph(ctx, m.Graph, opt, nil, 0)
	fillFunctions(ctx, m, opt)
	return in
}

// fillOptions completes opt for a Fill of m: its default-domain opset,
// its functions and a fresh budget for calls.
func fillOptions(m *model.Model, opt Options) Options {
	if opt.Opset == 0 {
		for _, o := range m.Opsets {
			if o.Domain == "" || o.Domain == "ai.onnx" {
				opt.Opset = o.Version
			}
		}
	}
	if opt.Functions == nil {
		opt.Functions = Functions(m)
	}
	opt.calls = newCallBudget()
	return opt
}

// fillFunctions fills m's functions, each on its own.
func fillFunctions(ctx context.Context, m *model.Model, opt Options) {
	for _, f := range m.Functions {
		fillGraph(ctx, f, opt, nil, 0)
	}
}

// maxDepth bounds the nesting of subgraphs inferred.
const maxDepth = 32

// fillGraph infers g and its nodes' subgraphs and records the results.
func fillGraph(ctx context.Context, g *model.Graph, opt Options, parent *Info, depth int) *Info {
	if g == nil || depth > maxDepth || ctx.Err() != nil {
		return nil
	}
	in := infer(ctx, g, opt, parent)
	in.finishGraph(ctx, g, depth)
	return in
}

// finishGraph records what was inferred of g's nodes and fills their
// subgraphs.
func (in *Info) finishGraph(ctx context.Context, g *model.Graph, depth int) {
	in.record(g)
	for _, n := range g.Nodes {
		for _, sg := range n.Subgraphs() {
			in.seedBody(n, sg)
			fillGraph(ctx, sg, in.opt, in, depth+1)
		}
	}
}

// record writes inferred types into g's outputs and ValueInfo.
func (in *Info) record(g *model.Graph) {
	if in.rec.on {
		in.recordGathered(g)
		return
	}
	have := make(map[string]int, len(g.ValueInfo)+len(g.Outputs)+len(g.Nodes)) // most nodes add one value
	for i, v := range g.ValueInfo {
		if v != nil {
			have[v.Name] = i
		}
	}
	in.recordOutputs(g, have)
	vals := valueSlab{left: outputCount(g.Nodes)}
	g.ValueInfo = slices.Grow(g.ValueInfo, vals.left) // most outputs get an entry
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			vals.left--
			v := in.local(o)
			if o == "" || v == nil || v.t == nil || v.t.Shape == nil && v.stored {
				continue
			}
			t := v.t
			if i, ok := have[o]; ok {
				if i >= 0 && !typeEqual(g.ValueInfo[i].Type, t) {
					g.ValueInfo[i].Type, g.ValueInfo[i].Inferred = t, true
				}
				continue
			}
			have[o] = len(g.ValueInfo)
			g.ValueInfo = append(g.ValueInfo, vals.next(model.Value{Name: o, Type: t, Inferred: true}))
		}
	}
}

// recordOutputs types g's outputs the file left without a shape, and
// marks them in have (-1, unless have is nil): record adds no ValueInfo
// entry for them.
func (in *Info) recordOutputs(g *model.Graph, have map[string]int) {
	for _, v := range g.Outputs {
		if v == nil {
			continue
		}
		if have != nil {
			have[v.Name] = -1
		}
		l := in.local(v.Name)
		if l == nil || l.t == nil {
			continue
		}
		if t := l.t; (v.Type == nil || v.Type.Shape == nil) && !typeEqual(v.Type, t) {
			v.Type, v.Inferred = t, true
		}
	}
}

// valueSlab hands out the Values record adds from arrays of up to
// valueChunk, one allocation for many: a 100,000-node graph adds as many.
type valueSlab struct {
	free []model.Value
	left int // outputs still to come: no chunk is made bigger
}

// valueChunk is the most Values one allocation of valueSlab holds.
const valueChunk = 512

// next returns a new Value holding v.
func (s *valueSlab) next(v model.Value) *model.Value {
	if len(s.free) == 0 {
		s.free = make([]model.Value, min(valueChunk, s.left+1))
	}
	p := &s.free[0]
	*p = v
	s.free = s.free[1:]
	return p
}

// outputCount counts the output names of nodes.
func outputCount(nodes []*model.Node) int {
	k := 0
	for _, n := range nodes {
		k += len(n.Outputs)
	}
	return k
}

// typeEqual reports whether two types print the same.
func typeEqual(a, b *model.Type) bool {
	return a == b || model.TypeString(a) == model.TypeString(b)
}

// fillable reports whether merge would fill a dimension of stored from
// inferred: they have the same rank and stored has an unknown, unnamed
// dimension.
func fillable(stored, inferred model.Shape) bool {
	if len(stored) != len(inferred) {
		return false
	}
	for _, d := range stored {
		if !d.Known && d.Param == "" {
			return true
		}
	}
	return false
}
