package shapeinfer

import (
	"math"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

func splitRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	n := len(c.n.Outputs)
	out := make([]*model.Type, n)
	if x == nil || n == 0 {
		return out
	}
	ax, ok := axis(c.intAttr("axis", 0), len(x))
	if !ok {
		return out
	}
	sizes, ok := c.ints(1, "split")
	if !ok && !c.has(1) && c.attr("split") == nil && x[ax].Known {
		chunk := (x[ax].Size + int64(n) - 1) / int64(n)
		for i := range n {
			sizes = append(sizes, max(0, min(chunk, x[ax].Size-int64(i)*chunk)))
		}
		ok = chunk*int64(n) == x[ax].Size || c.attr("num_outputs") != nil
	}
	for i := range out {
		s := slices.Clone(x)
		s[ax] = unknownDim
		if ok && len(sizes) == n {
			s[ax] = model.IntDim(sizes[i])
		}
		out[i] = tensor(dt, s)
	}
	return out
}

// sliceRule computes sliced dims from folded starts, ends, axes, steps.
func sliceRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if x == nil {
		return c.one(tensor(dt, nil))
	}
	out := slices.Clone(x)
	starts, ok1 := c.ints(1, "starts")
	ends, ok2 := c.ints(2, "ends")
	axes, ok3 := c.ints(3, "axes")
	if !ok3 && !c.has(3) && c.attr("axes") == nil {
		axes, ok3 = make([]int64, len(starts)), true
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	steps, ok4 := c.ints(4, "")
	if !c.has(4) {
		steps, ok4 = slices.Repeat([]int64{1}, len(starts)), true
	}
	if !ok1 || !ok2 || !ok3 || !ok4 || len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return c.one(tensor(dt, unknownShape(len(x))))
	}
	for i, a := range axes {
		ax, ok := axis(a, len(x))
		if !ok {
			return nil
		}
		out[ax] = sliceDim(x[ax], starts[i], ends[i], steps[i])
	}
	return c.one(tensor(dt, out))
}

// sliceDim is the length of x[start:end:step] along one axis.
func sliceDim(d model.Dim, start, end, step int64) model.Dim {
	if !d.Known {
		if start == 0 && step == 1 && end >= math.MaxInt32 {
			return d
		}
		return unknownDim
	}
	if step == 0 {
		return unknownDim
	}
	n := d.Size
	clamp := func(v, lo, hi int64) int64 {
		if v < 0 {
			v += n
		}
		return max(lo, min(v, hi))
	}
	if step > 0 {
		s, e := clamp(start, 0, n), clamp(end, 0, n)
		return model.IntDim(max(0, (e-s+step-1)/step))
	}
	s, e := clamp(start, -1, n-1), clamp(end, -1, n-1)
	if end < -n {
		e = -1
	}
	return model.IntDim(max(0, (s-e+(-step)-1)/(-step)))
}

func gatherRule(c *nodeCtx) []*model.Type {
	x, idx, dt := c.shape(0), c.shape(1), c.dtype(0)
	if x == nil || idx == nil {
		return c.one(tensor(dt, nil))
	}
	ax, ok := axis(c.intAttr("axis", 0), len(x))
	if !ok {
		return nil
	}
	out := append(slices.Clone(x[:ax]), idx...)
	return c.one(tensor(dt, append(out, x[ax+1:]...)))
}

// axesOf returns Squeeze/Unsqueeze/Reduce axes from input 1 or the axes
// attribute; given says whether the node names any.
func axesOf(c *nodeCtx) (axes []int64, given, ok bool) {
	if c.has(1) {
		a, ok := c.in.constInts(c.n.Inputs[1])
		return a, true, ok
	}
	if c.attr("axes") != nil {
		a, ok := c.intsAttr("axes")
		return a, true, ok
	}
	return nil, false, true
}

func squeezeRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	axes, given, ok := axesOf(c)
	if x == nil || !ok {
		return c.one(tensor(dt, nil))
	}
	drop := make([]bool, len(x))
	for _, a := range axes {
		ax, ok := axis(a, len(x))
		if !ok {
			return nil
		}
		drop[ax] = true
	}
	var out model.Shape
	for i, d := range x {
		if !given && !d.Known {
			return c.one(tensor(dt, nil))
		}
		if drop[i] || (!given && d.Size == 1) {
			continue
		}
		out = append(out, d)
	}
	return c.one(tensor(dt, append(model.Shape{}, out...)))
}

func unsqueezeRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	axes, _, ok := axesOf(c)
	if x == nil || !ok {
		return c.one(tensor(dt, nil))
	}
	r := len(x) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax, ok := axis(a, r)
		if !ok || ins[ax] {
			return nil
		}
		ins[ax] = true
	}
	out, j := make(model.Shape, r), 0
	for i := range out {
		if ins[i] {
			out[i] = model.IntDim(1)
			continue
		}
		out[i], j = x[j], j+1
	}
	return c.one(tensor(dt, out))
}

func shapeRule(c *nodeCtx) []*model.Type {
	x := c.shape(0)
	if x == nil {
		return c.one(tensor("int64", unknownShape(1)))
	}
	lo, hi := shapeRange(c, len(x))
	return c.one(tensor("int64", model.Shape{model.IntDim(int64(hi - lo))}))
}

func constantOfShapeRule(c *nodeCtx) []*model.Type {
	dt := model.DType("float32")
	if a := c.attr("value"); a != nil && len(a.Tensors) == 1 && a.Tensors[0] != nil {
		dt = a.Tensors[0].DType
	}
	k := c.input(0)
	if k == nil {
		if s := c.shape(0); len(s) == 1 && s[0].Known && s[0].Size <= maxConstElems {
			return c.one(tensor(dt, unknownShape(int(s[0].Size))))
		}
		return c.one(tensor(dt, nil))
	}
	return c.one(tensor(dt, append(model.Shape{}, k.vals...)))
}

func expandRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	k := c.input(1)
	if k == nil || k.scalar {
		return c.one(tensor(dt, nil))
	}
	return c.one(tensor(dt, broadcast(x, model.Shape(k.vals))))
}

func tileRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	reps, ok := c.ints(1, "")
	if x == nil || !ok || len(reps) != len(x) {
		if x != nil {
			return c.one(tensor(dt, unknownShape(len(x))))
		}
		return c.one(tensor(dt, nil))
	}
	out := make(model.Shape, len(x))
	for i, d := range x {
		if d.Known {
			out[i] = model.IntDim(d.Size * reps[i])
		} else if reps[i] == 1 {
			out[i] = d
		}
	}
	return c.one(tensor(dt, out))
}
