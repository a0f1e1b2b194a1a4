package shapeinfer

import (
	"cmp"

	"github.com/modelpeek/modelpeek/model"
)

func init() {
	register(convRule(0, 1, ""), "Conv")
	register(convRule(0, 1, "int32"), "ConvInteger")
	register(qlinearConvRule, "QLinearConv")
	register(convTransposeRule, "ConvTranspose")
	register(poolRule, "MaxPool", "AveragePool", "LpPool")
	register(globalPoolRule, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
	register(gemmRule, "Gemm")
	register(matmulRule(0, 1, ""), "MatMul")
	register(matmulRule(0, 1, "int32"), "MatMulInteger")
	register(qlinearMatMulRule, "QLinearMatMul")
	register(rnnRule, "RNN", "GRU", "LSTM")
}

// window is the geometry of a sliding window over the spatial dims.
type window struct {
	kernel, strides, dilations, pads []int64
	autoPad                          string
	ceil                             bool
}

// windowOf reads a node's window attributes for n spatial dims, taking
// the kernel from kernel (the weight's trailing dims) when the node has no
// kernel_shape; false when the kernel is unknown.
func windowOf(c *nodeCtx, n int, kernel model.Shape) (window, bool) {
	w := window{autoPad: "NOTSET", ceil: c.intAttr("ceil_mode", 0) == 1}
	if a := c.attr("auto_pad"); a != nil && a.Type == model.AttrString {
		w.autoPad = a.String
	}
	var ok bool
	if w.kernel, ok = c.intsAttr("kernel_shape"); !ok {
		if len(kernel) != n {
			return w, false
		}
		p, known := make([]int64, n), true
		for i, d := range kernel {
			p[i], known = d.Size, known && d.Known
		}
		if !known {
			return w, false
		}
		w.kernel = p
	}
	w.strides = intsOr(c, "strides", n, 1)
	w.dilations = intsOr(c, "dilations", n, 1)
	w.pads = intsOr(c, "pads", 2*n, 0)
	return w, len(w.kernel) == n && len(w.strides) == n && len(w.dilations) == n && len(w.pads) == 2*n
}

func intsOr(c *nodeCtx, name string, n int, def int64) []int64 {
	if v, ok := c.intsAttr(name); ok {
		return v
	}
	v := make([]int64, n)
	for i := range v {
		v[i] = def
	}
	return v
}

// out is the output size of spatial dim i for input size in.
func (w window) out(i int, in model.Dim) model.Dim {
	k, s := (w.kernel[i]-1)*w.dilations[i]+1, w.strides[i]
	if s <= 0 {
		return unknownDim
	}
	if !in.Known {
		// A stride-1 window whose padding makes up for the kernel keeps
		// the size, whatever it is (SAME padding, or pads = k - 1).
		same := w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER" ||
			w.autoPad == "NOTSET" && w.pads[i]+w.pads[i+len(w.kernel)] == k-1 || w.autoPad == "VALID" && k == 1
		if s == 1 && same {
			return in
		}
		return unknownDim
	}
	switch w.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return model.IntDim((in.Size + s - 1) / s)
	case "VALID":
		if in.Size < k {
			return unknownDim
		}
		return model.IntDim((in.Size-k)/s + 1)
	}
	span := in.Size + w.pads[i] + w.pads[i+len(w.kernel)] - k
	if span < 0 {
		return unknownDim
	}
	if w.ceil {
		return model.IntDim((span+s-1)/s + 1)
	}
	return model.IntDim(span/s + 1)
}

// spatial computes the output dims after batch and channel.
func (w window) spatial(x model.Shape) model.Shape {
	out := make(model.Shape, 0, len(x))
	for i, d := range x[2:] {
		out = append(out, w.out(i, d))
	}
	return out
}

func convRule(xi, wi int, dt model.DType) rule {
	return func(c *nodeCtx) []*model.Type {
		x, wt, dt := c.shape(xi), c.shape(wi), cmp.Or(dt, c.dtype(xi))
		if len(x) < 3 || (wt != nil && len(wt) != len(x)) {
			return c.one(tensor(dt, nil))
		}
		var kernel model.Shape
		m := unknownDim
		if wt != nil {
			kernel, m = wt[2:], wt[0]
		}
		w, ok := windowOf(c, len(x)-2, kernel)
		if !ok {
			return c.one(tensor(dt, unknownShape(len(x))))
		}
		return c.one(tensor(dt, append(model.Shape{x[0], m}, w.spatial(x)...)))
	}
}

func qlinearConvRule(c *nodeCtx) []*model.Type {
	out := convRule(0, 3, "")(c)
	if len(out) == 1 && out[0] != nil && c.has(7) {
		out[0] = tensor(c.dtype(7), out[0].Shape)
	}
	return out
}

func convTransposeRule(c *nodeCtx) []*model.Type {
	x, wt, dt := c.shape(0), c.shape(1), c.dtype(0)
	if len(x) < 3 || len(wt) != len(x) {
		return c.one(tensor(dt, nil))
	}
	n := len(x) - 2
	ch := unknownDim
	if g := c.intAttr("group", 1); wt[1].Known {
		ch = model.IntDim(wt[1].Size * g)
	}
	out := append(model.Shape{x[0], ch}, unknownShape(n)...)
	if os, ok := c.intsAttr("output_shape"); ok && len(os) == n {
		copy(out[2:], model.ShapeOf(os))
		return c.one(tensor(dt, out))
	}
	w, ok := windowOf(c, n, wt[2:])
	if ok && (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") {
		return c.one(tensor(dt, sameTransposed(out, x, w.strides)))
	}
	if !ok || c.attr("auto_pad") != nil && w.autoPad != "NOTSET" {
		return c.one(tensor(dt, out))
	}
	op := intsOr(c, "output_padding", n, 0)
	for i, d := range x[2:] {
		if d.Known && len(op) == n {
			k := (w.kernel[i]-1)*w.dilations[i] + 1
			out[2+i] = model.IntDim(w.strides[i]*(d.Size-1) + op[i] + k - w.pads[i] - w.pads[i+n])
		}
	}
	return c.one(tensor(dt, out))
}

// sameTransposed fills the spatial dims of a SAME-padded ConvTranspose's
// output: input size × stride.
func sameTransposed(out, x model.Shape, strides []int64) model.Shape {
	for i, d := range x[2:] {
		if d.Known && d.Size >= 0 && d.Size <= 1<<40 && strides[i] > 0 && strides[i] <= 1<<16 {
			out[2+i] = model.IntDim(d.Size * strides[i])
		}
	}
	return out
}

func poolRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if len(x) < 3 {
		return c.one(tensor(dt, nil))
	}
	w, ok := windowOf(c, len(x)-2, nil)
	s := unknownShape(len(x))
	if ok {
		s = append(model.Shape{x[0], x[1]}, w.spatial(x)...)
	}
	return []*model.Type{tensor(dt, s), tensor("int64", s)}
}

func globalPoolRule(c *nodeCtx) []*model.Type {
	x := c.shape(0)
	if len(x) < 2 {
		return c.one(tensor(c.dtype(0), nil))
	}
	s := model.Shape{x[0], x[1]}
	for range x[2:] {
		s = append(s, model.IntDim(1))
	}
	return c.one(tensor(c.dtype(0), s))
}

func gemmRule(c *nodeCtx) []*model.Type {
	a, b, dt := c.shape(0), c.shape(1), c.dtype(0)
	if len(a) != 2 || len(b) != 2 {
		return c.one(tensor(dt, unknownShape(2)))
	}
	m, n := a[0], b[1]
	if c.intAttr("transA", 0) != 0 {
		m = a[1]
	}
	if c.intAttr("transB", 0) != 0 {
		n = b[0]
	}
	return c.one(tensor(dt, model.Shape{m, n}))
}

func matmulRule(ai, bi int, dt model.DType) rule {
	return func(c *nodeCtx) []*model.Type {
		return c.one(tensor(cmp.Or(dt, c.dtype(ai)), matmulShape(c.shape(ai), c.shape(bi))))
	}
}

// matmulShape is numpy matmul: 1-D operands promoted and their dim
// dropped, batch dims broadcast.
func matmulShape(a, b model.Shape) model.Shape {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	var out model.Shape
	switch {
	case len(a) == 1 && len(b) == 1:
		return model.Shape{}
	case len(a) == 1:
		out = append(broadcast(b[:len(b)-2]), b[len(b)-1])
	case len(b) == 1:
		out = append(broadcast(a[:len(a)-2]), a[len(a)-2])
	default:
		out = append(broadcast(a[:len(a)-2], b[:len(b)-2]), a[len(a)-2], b[len(b)-1])
	}
	return out
}

func qlinearMatMulRule(c *nodeCtx) []*model.Type {
	return c.one(tensor(c.dtype(7), matmulShape(c.shape(0), c.shape(3))))
}

// rnnRule types Y [seq, dirs, batch, hidden] and Y_h (and LSTM's Y_c)
// [dirs, batch, hidden] for layout 0; batch first for layout 1.
func rnnRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	hidden := c.intAttr("hidden_size", 0)
	if len(x) != 3 || hidden <= 0 {
		return nil
	}
	dirs := model.IntDim(1)
	if a := c.attr("direction"); a != nil && a.String == "bidirectional" {
		dirs = model.IntDim(2)
	}
	h := model.IntDim(hidden)
	if c.intAttr("layout", 0) == 1 {
		st := tensor(dt, model.Shape{x[0], dirs, h})
		return []*model.Type{tensor(dt, model.Shape{x[0], x[1], dirs, h}), st, st}
	}
	st := tensor(dt, model.Shape{dirs, x[1], h})
	return []*model.Type{tensor(dt, model.Shape{x[0], dirs, x[1], h}), st, st}
}
