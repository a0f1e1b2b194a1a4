package shapeinfer

import (
	"math"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// padRule adds folded pads (input 1, or the pads attribute before opset
// 11) to each dim; pads on selected axes (input 3) are not folded.
func padRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if x == nil {
		return c.one(tensor(dt, nil))
	}
	pads, ok := c.ints(1, "pads")
	if !ok || len(pads) != 2*len(x) || c.has(3) {
		return c.one(tensor(dt, unknownShape(len(x))))
	}
	out := make(model.Shape, len(x))
	for i, d := range x {
		switch {
		case d.Known:
			out[i] = model.IntDim(d.Size + pads[i] + pads[i+len(x)])
		case pads[i] == 0 && pads[i+len(x)] == 0:
			out[i] = d
		}
	}
	return c.one(tensor(dt, out))
}

// reduceRule covers Reduce* and ArgMax/ArgMin (whose single axis is an
// attribute).
func reduceRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if x == nil {
		return c.one(tensor(dt, nil))
	}
	keep := c.intAttr("keepdims", 1) != 0
	var axes []int64
	given, ok := true, true
	if c.n.OpType == "ArgMax" || c.n.OpType == "ArgMin" {
		axes = []int64{c.intAttr("axis", 0)}
	} else {
		axes, given, ok = axesOf(c)
	}
	if !ok {
		if keep {
			return c.one(tensor(dt, unknownShape(len(x))))
		}
		return c.one(tensor(dt, nil))
	}
	if !given || len(axes) == 0 {
		if c.intAttr("noop_with_empty_axes", 0) != 0 {
			return c.one(tensor(dt, slices.Clone(x)))
		}
		axes = make([]int64, len(x))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	red := make([]bool, len(x))
	for _, a := range axes {
		ax, ok := axis(a, len(x))
		if !ok {
			return nil
		}
		red[ax] = true
	}
	out := model.Shape{}
	for i, d := range x {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, model.IntDim(1))
		}
	}
	return c.one(tensor(dt, out))
}

func topKRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if x == nil {
		return []*model.Type{tensor(dt, nil), tensor("int64", nil)}
	}
	out := slices.Clone(x)
	ax, ok := axis(c.intAttr("axis", -1), len(x))
	if !ok {
		return nil
	}
	out[ax] = unknownDim
	if k, ok := c.ints(1, ""); ok && len(k) == 1 {
		out[ax] = model.IntDim(k[0])
	} else if !c.has(1) && c.attr("k") != nil {
		out[ax] = model.IntDim(c.intAttr("k", 0))
	}
	return []*model.Type{tensor(dt, out), tensor("int64", out)}
}

// resizeRule uses folded sizes, or constant scales (out = floor(in ×
// scale), as the operator defines it); roi-dependent modes
// (tf_crop_and_resize) and axes are left unknown.
func resizeRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if x == nil {
		return c.one(tensor(dt, nil))
	}
	unknown := tensor(dt, unknownShape(len(x)))
	if c.attr("axes") != nil {
		return c.one(unknown)
	}
	if a := c.attr("coordinate_transformation_mode"); a != nil && a.String == "tf_crop_and_resize" {
		return c.one(unknown)
	}
	if c.n.OpType == "Resize" && c.has(3) {
		if sizes, ok := c.in.constInts(c.n.Inputs[3]); ok && len(sizes) == len(x) {
			return c.one(tensor(dt, model.ShapeOf(sizes)))
		}
		return c.one(unknown)
	}
	scales, ok := resizeScales(c)
	if !ok || len(scales) != len(x) {
		return c.one(unknown)
	}
	out := make(model.Shape, len(x))
	for i, d := range x {
		switch {
		case scales[i] == 1:
			out[i] = d
		case d.Known && scales[i] > 0:
			out[i] = model.IntDim(int64(math.Floor(float64(d.Size) * scales[i])))
		}
	}
	return c.one(tensor(dt, out))
}

// resizeScales finds the scales: Resize's input 2 (opset 11+) or 1
// (opset 10), Upsample's input 1 or scales attribute.
func resizeScales(c *nodeCtx) ([]float64, bool) {
	i := 1
	if c.n.OpType == "Resize" && len(c.n.Inputs) > 2 {
		i = 2
	}
	if c.has(i) {
		return c.in.constFloats(c.n.Inputs[i])
	}
	if a := c.attr("scales"); a != nil && a.Type == model.AttrFloats && !a.Truncated {
		return a.Floats, true
	}
	return nil, false
}
