package shapeinfer

import "github.com/modelpeek/modelpeek/model"

// Control flow: the outputs of Loop, Scan and If take the types their
// bodies declare, so that the nodes after them (and a cost model) see
// shapes. A body output without a declared type leaves its output
// unknown.
func init() {
	register(loopRule, "Loop")
	register(scanRule, "Scan")
	register(ifRule, "If")
}

// body returns the graph attribute name, nil when absent.
func (c *nodeCtx) body(name string) *model.Graph {
	if a := c.attr(name); a != nil && a.Type == model.AttrGraph && len(a.Graphs) == 1 {
		return a.Graphs[0]
	}
	return nil
}

// outType is a body output's declared tensor type, nil when untyped.
func outType(g *model.Graph, i int) *model.Type {
	if i < 0 || i >= len(g.Outputs) || g.Outputs[i] == nil {
		return nil
	}
	if t := g.Outputs[i].Type; t != nil && t.Kind == model.KindTensor {
		return t
	}
	return nil
}

// stacked is a per-iteration body output stacked along a new leading
// axis of n iterations.
func stacked(t *model.Type, n model.Dim) *model.Type {
	if t == nil || t.Shape == nil {
		return t
	}
	return tensor(t.DType, append(model.Shape{n}, t.Shape...))
}

// loopRule: inputs M, cond, carried...; body outputs cond, carried...,
// scan outputs...; the node's outputs are the final carried values, then
// the scan outputs stacked over the trip count (known when M is a
// folded constant and cond is absent).
func loopRule(c *nodeCtx) []*model.Type {
	g := c.body("body")
	if g == nil {
		return nil
	}
	trips := unknownDim
	if m, ok := c.ints(0, ""); ok && len(m) == 1 && !c.has(1) {
		trips = model.IntDim(m[0])
	}
	carried := len(c.n.Inputs) - 2
	out := make([]*model.Type, len(c.n.Outputs))
	for i := range out {
		t := outType(g, 1+i)
		if i >= carried {
			t = stacked(t, trips)
		}
		out[i] = t
	}
	return out
}

// scanRule (opset 9 and later; opset 8's batched form has an extra
// sequence_lens input and is left alone): inputs states..., scan
// inputs...; outputs the final states, then the body's per-iteration
// outputs stacked over the first scan input's axis.
func scanRule(c *nodeCtx) []*model.Type {
	g := c.body("body")
	if g == nil || len(c.n.Inputs) != len(g.Inputs) {
		return nil
	}
	m := c.intAttr("num_scan_inputs", 0)
	states := len(c.n.Inputs) - int(m)
	if m <= 0 || states < 0 {
		return nil
	}
	steps := unknownDim
	ax := int64(0)
	if axes, ok := c.intsAttr("scan_input_axes"); ok && len(axes) > 0 {
		ax = axes[0]
	}
	if s := c.shape(states); s != nil {
		if a, ok := axis(ax, len(s)); ok {
			steps = s[a]
		}
	}
	_, hasOutAxes := c.intsAttr("scan_output_axes")
	out := make([]*model.Type, len(c.n.Outputs))
	for i := range out {
		t := outType(g, i)
		if i >= states {
			if hasOutAxes {
				t = nil
			} else {
				t = stacked(t, steps)
			}
		}
		out[i] = t
	}
	return out
}

// ifRule: each output is what both branches declare, a dim kept where
// they agree.
func ifRule(c *nodeCtx) []*model.Type {
	a, b := c.body("then_branch"), c.body("else_branch")
	if a == nil || b == nil {
		return nil
	}
	out := make([]*model.Type, len(c.n.Outputs))
	for i := range out {
		ta, tb := outType(a, i), outType(b, i)
		if ta == nil || tb == nil || ta.Shape == nil || len(ta.Shape) != len(tb.Shape) {
			continue
		}
		s := make(model.Shape, len(ta.Shape))
		for j := range s {
			if sameDim(ta.Shape[j], tb.Shape[j]) {
				s[j] = ta.Shape[j]
			}
		}
		dt := ta.DType
		if dt != tb.DType {
			dt = ""
		}
		out[i] = tensor(dt, s)
	}
	return out
}

// seedBody types the inputs of a Loop or Scan body that the file left
// untyped from the node's inputs: a Loop's carried values (body inputs
// after the iteration number and condition), a Scan's states and, less
// their scanned axis, its scan inputs (opset 9 and later).
func (in *Info) seedBody(n *model.Node, body *model.Graph) {
	var from func(i int) *model.Type
	switch {
	case n.OpType == "Loop" && len(body.Inputs) == len(n.Inputs):
		from = func(i int) *model.Type {
			if i < 2 {
				return nil
			}
			return in.Type(n.Inputs[i])
		}
	case n.OpType == "Scan" && len(body.Inputs) == len(n.Inputs):
		from = in.scanBodyType(n)
	default:
		return
	}
	for i, v := range body.Inputs {
		if v == nil || v.Type != nil && v.Type.Shape != nil {
			continue
		}
		if t := from(i); t != nil && t.Kind == model.KindTensor {
			v.Type, v.Inferred = t, true
		}
	}
}

// scanBodyType gives a Scan body's input i the type of the node's input
// i, its scanned axis removed for a scan input.
func (in *Info) scanBodyType(n *model.Node) func(i int) *model.Type {
	c := &nodeCtx{in: in, n: n}
	states := len(n.Inputs) - int(c.intAttr("num_scan_inputs", 0))
	axes, _ := c.intsAttr("scan_input_axes")
	return func(i int) *model.Type {
		t := c.typ(i)
		if t == nil || i < states || t.Shape == nil {
			return t
		}
		ax := int64(0)
		if j := i - states; j < len(axes) {
			ax = axes[j]
		}
		a, ok := axis(ax, len(t.Shape))
		if !ok {
			return nil
		}
		s := append(append(model.Shape(nil), t.Shape[:a]...), t.Shape[a+1:]...)
		return tensor(t.DType, s)
	}
}
