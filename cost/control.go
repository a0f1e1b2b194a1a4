package cost

import "github.com/modelpeek/modelpeek/model"

// maxDepth bounds the nesting of bodies counted.
const maxDepth = 16

// control counts a node with bodies: If as its costlier branch (an
// upper bound: which branch runs is data), Loop as the body times the
// trip count (a count known only at run time stays a symbol named after
// its value),
// Scan as the body times the scanned axis. The figures of the bodies
// are evaluated with Options.Dims.
func (c *nodeCtx) control() (macs, other Term, ok bool) {
	if c.sc.depth >= maxDepth {
		return Term{}, Term{}, false
	}
	switch c.n.OpType {
	case "If":
		return c.ifCost()
	case "Loop":
		return c.loopCost()
	case "Scan":
		return c.scanCost()
	}
	return Term{}, Term{}, false
}

// bodyCost counts the body held by the named graph attribute.
func (c *nodeCtx) bodyCost(name string) (macs, other int64, ok bool) {
	a := c.attr(name)
	if a == nil || a.Type != model.AttrGraph || len(a.Graphs) != 1 || a.Graphs[0] == nil {
		return 0, 0, false
	}
	body, w := a.Graphs[0], c.sc.walk
	r, seen := w.bodies[body]
	if !seen {
		if w.budget < len(body.Nodes) {
			return 0, 0, false
		}
		w.budget -= len(body.Nodes)
		w.bodies[body] = nil // a body holding itself is unknown
		r = graphIn(c.sc.ctx, body, c.sc.opt, c.sc)
		w.bodies[body] = r
	}
	if r == nil {
		return 0, 0, false
	}
	return r.MACs, r.OtherOps, r.UnknownNodes == 0
}

func (c *nodeCtx) ifCost() (macs, other Term, ok bool) {
	m1, o1, ok1 := c.bodyCost("then_branch")
	m2, o2, ok2 := c.bodyCost("else_branch")
	if !ok1 || !ok2 {
		return Term{}, Term{}, false
	}
	return Term{Coef: max(m1, m2)}, Term{Coef: max(o1, o2)}, true
}

func (c *nodeCtx) loopCost() (macs, other Term, ok bool) {
	m, o, ok := c.bodyCost("body")
	if !ok || len(c.n.Inputs) == 0 || c.n.Inputs[0] == "" {
		return Term{}, Term{}, false
	}
	trips, ok := c.sc.tripCount(c.n.Inputs[0])
	if !ok {
		return Term{}, Term{}, false
	}
	macs, ok1 := Term{Coef: m}.mulDim(trips)
	other, ok2 := Term{Coef: o}.mulDim(trips)
	return macs, other, ok1 && ok2
}

func (c *nodeCtx) scanCost() (macs, other Term, ok bool) {
	m, o, ok := c.bodyCost("body")
	if !ok {
		return Term{}, Term{}, false
	}
	n := c.intAttr("num_scan_inputs", 0)
	first := len(c.n.Inputs) - int(n)
	if n <= 0 || first < 0 {
		return Term{}, Term{}, false
	}
	s := c.in(first)
	var steps model.Shape
	switch ax := c.scanAxis(); {
	case c.attr("directions") != nil || c.n.Inputs[0] == "" && len(s) >= 2:
		// opset 8: [batch, sequence, ...], the body runs per row and step
		steps = s[:2]
	case ax >= 0 && ax < int64(len(s)):
		steps = s[ax : ax+1]
	default:
		return Term{}, Term{}, false
	}
	macs, ok1 := Term{Coef: m}.mulShape(steps)
	other, ok2 := Term{Coef: o}.mulShape(steps)
	return macs, other, ok1 && ok2
}

// scanAxis is the first scan input's axis.
func (c *nodeCtx) scanAxis() int64 {
	if a := c.attr("scan_input_axes"); a != nil && a.Type == model.AttrInts && len(a.Ints) > 0 {
		return a.Ints[0]
	}
	return 0
}

// tripCount is a Loop's M: a stored scalar, else a value known only when
// the model runs (a graph input, a computed count) kept as a symbol
// named after the value.
func (sc *scope) tripCount(name string) (model.Dim, bool) {
	for s := sc; s != nil; s = s.parent {
		if t := s.inits[name]; t != nil {
			if len(t.Values) == 1 {
				return model.IntDim(int64(t.Values[0])), true
			}
			return model.Dim{}, false
		}
	}
	return model.Dim{Param: name}, true
}
