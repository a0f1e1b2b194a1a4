package shapeinfer

import (
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

func init() {
	register(reshapeRule, "Reshape")
	register(flattenRule, "Flatten")
	register(transposeRule, "Transpose")
	register(concatRule, "Concat")
	register(splitRule, "Split")
	register(sliceRule, "Slice")
	register(gatherRule, "Gather")
	register(func(c *nodeCtx) []*model.Type { return c.one(tensor(c.dtype(0), c.shape(1))) }, "GatherElements")
	register(squeezeRule, "Squeeze")
	register(unsqueezeRule, "Unsqueeze")
	register(shapeRule, "Shape")
	register(func(c *nodeCtx) []*model.Type { return c.one(tensor("int64", model.Shape{})) }, "Size")
	register(constantOfShapeRule, "ConstantOfShape")
	register(expandRule, "Expand")
	register(tileRule, "Tile")
	register(padRule, "Pad")
	register(reduceRule, "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
		"ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")
	register(withDType(reduceRule, "int64"), "ArgMax", "ArgMin")
	register(topKRule, "TopK")
	register(resizeRule, "Resize", "Upsample")
}

// reshapeRule resolves 0 (copy, unless allowzero) and -1 (the remaining
// size, symbolic names cancelled against the input's).
func reshapeRule(c *nodeCtx) []*model.Type {
	dt := c.dtype(0)
	k, ok := c.input(1), c.has(1)
	ok = ok && k != nil
	if a, isAttr := c.intsAttr("shape"); !c.has(1) && isAttr {
		k, ok = &constant{vals: model.ShapeOf(a)}, true
	}
	if !ok || k.scalar {
		// The rank is still the length of the shape input.
		if s := c.shape(1); len(s) == 1 && s[0].Known && s[0].Size <= maxConstElems {
			return c.one(tensor(dt, unknownShape(int(s[0].Size))))
		}
		return c.one(tensor(dt, nil))
	}
	x := c.shape(0)
	out := make(model.Shape, len(k.vals))
	infer := -1
	for i, d := range k.vals {
		switch {
		case d.Known && d.Size == 0 && c.intAttr("allowzero", 0) == 0:
			if x == nil || i >= len(x) {
				return c.one(tensor(dt, unknownShape(len(out))))
			}
			out[i] = x[i]
		case d.Known && d.Size == -1:
			infer = i
		case d.Known && d.Size < 0:
			return c.one(tensor(dt, unknownShape(len(out))))
		default:
			out[i] = d
		}
	}
	if infer >= 0 {
		out[infer] = remaining(x, out, infer)
	}
	return c.one(tensor(dt, out))
}

// remaining is the dim that makes out hold as many elements as x.
func remaining(x, out model.Shape, skip int) model.Dim {
	if x == nil {
		return unknownDim
	}
	pin, symIn, ok1 := split(x)
	others := slices.Delete(slices.Clone(out), skip, skip+1)
	pout, symOut, ok2 := split(others)
	if !ok1 || !ok2 {
		return unknownDim
	}
	for _, s := range symOut {
		i := slices.Index(symIn, s)
		if i < 0 {
			return unknownDim
		}
		symIn = slices.Delete(symIn, i, i+1)
	}
	switch {
	case pout == 0 || pin%pout != 0:
		return unknownDim
	case len(symIn) == 0:
		return model.IntDim(pin / pout)
	case len(symIn) == 1 && pin == pout:
		return model.Dim{Param: symIn[0]}
	}
	return unknownDim
}

// split separates a shape into the product of its known dims and its
// symbolic names; false when a dim is unknown.
func split(s model.Shape) (int64, []string, bool) {
	p := int64(1)
	var syms []string
	for _, d := range s {
		switch {
		case d.Known:
			p *= d.Size
		case d.Param != "":
			syms = append(syms, d.Param)
		default:
			return 0, nil, false
		}
	}
	return p, syms, true
}

func flattenRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if x == nil {
		return c.one(tensor(dt, unknownShape(2)))
	}
	a := c.intAttr("axis", 1)
	if a < 0 {
		a += int64(len(x))
	}
	if a < 0 || a > int64(len(x)) {
		return nil
	}
	return c.one(tensor(dt, model.Shape{productDim(x[:a]), productDim(x[a:])}))
}

func transposeRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if x == nil {
		return c.one(tensor(dt, nil))
	}
	perm, ok := c.intsAttr("perm")
	if !ok {
		for i := len(x) - 1; i >= 0; i-- {
			perm = append(perm, int64(i))
		}
	}
	if len(perm) != len(x) {
		return nil
	}
	out := make(model.Shape, len(x))
	for i, p := range perm {
		if p < 0 || p >= int64(len(x)) {
			return nil
		}
		out[i] = x[p]
	}
	return c.one(tensor(dt, out))
}

func concatRule(c *nodeCtx) []*model.Type {
	var shapes []model.Shape
	for i := range c.n.Inputs {
		s := c.shape(i)
		if s == nil || (len(shapes) > 0 && len(s) != len(shapes[0])) {
			return c.one(tensor(c.dtype(0), nil))
		}
		shapes = append(shapes, s)
	}
	if len(shapes) == 0 {
		return nil
	}
	ax, ok := axis(c.intAttr("axis", 0), len(shapes[0]))
	if !ok {
		return nil
	}
	out := slices.Clone(shapes[0])
	sum := int64(0)
	for _, s := range shapes {
		if !s[ax].Known {
			sum = -1
			break
		}
		sum += s[ax].Size
	}
	out[ax] = unknownDim
	if sum >= 0 {
		out[ax] = model.IntDim(sum)
	}
	for i := range out {
		for _, s := range shapes[1:] {
			if i != ax && !out[i].Known && out[i].Param == "" && s[i].Known {
				out[i] = s[i]
			}
		}
	}
	return c.one(tensor(c.dtype(0), out))
}
