package shapeinfer

import (
	"github.com/modelpeek/modelpeek/model"
)

// constant is a folded integer value of rank 0 or 1; an element may be a
// symbolic or unknown dimension when it came from Shape.
type constant struct {
	vals   []model.Dim
	scalar bool
}

// maxConstElems bounds the integer constants read and folded.
const maxConstElems = 64

// constDims returns a folded integer value by name: folded before, an
// initializer small enough to read, or nothing.
func (in *Info) constDims(name string) (*constant, bool) {
	v := in.local(name)
	if v == nil || v.init == nil && !v.folded {
		if (v == nil || v.t == nil) && in.parent != nil {
			return in.parent.constDims(name)
		}
		// Folded values are marked already; others are not constants.
		return nil, false
	}
	if v.folded {
		return v.c, v.c != nil
	}
	if !smallInts(v.init) {
		return nil, false
	}
	c := readConst(v.init)
	v.c, v.folded = c, true
	return c, c != nil
}

// constInts is constDims with every element known.
func (in *Info) constInts(name string) ([]int64, bool) {
	c, ok := in.constDims(name)
	if !ok {
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

// smallInts reports whether t may be a small integer constant: a scalar
// or vector of int64 or int32, of few elements, with data to read.
func smallInts(t *model.Tensor) bool {
	if t == nil || len(t.Shape) > 1 || (t.DType != "int64" && t.DType != "int32") {
		return false
	}
	n, ok := model.NumElements(t.Shape)
	// A varint takes at most 10 bytes: larger data is not a small constant.
	return ok && n <= maxConstElems && t.Location != nil && t.Location.Length <= 10*maxConstElems
}

// readConst reads a small integer tensor's values.
func readConst(t *model.Tensor) *constant {
	if !smallInts(t) {
		return nil
	}
	n, _ := model.NumElements(t.Shape)
	p, err := model.ReadPreview(t, int(n))
	if err != nil || int64(len(p.Values)) != n {
		return nil
	}
	c := &constant{scalar: len(t.Shape) == 0, vals: make([]model.Dim, n)}
	for i, v := range p.Values {
		c.vals[i] = model.IntDim(int64(v))
	}
	return c
}

// fold records the integer values of a node's first output when its
// inputs are folded constants (or, for Shape, when its input's shape is).
func (in *Info) fold(c *nodeCtx) {
	if len(c.n.Outputs) == 0 || c.n.Outputs[0] == "" {
		return
	}
	f := folders[c.n.OpType]
	if f == nil {
		return
	}
	if v := f(c); v != nil && len(v.vals) <= maxConstElems {
		if id := in.outID(c.n, 0); id >= 0 {
			in.vals[id].c, in.vals[id].folded = v, true
		}
	}
}

// input returns input i as a folded constant.
func (c *nodeCtx) input(i int) *constant {
	if !c.has(i) {
		return nil
	}
	k, _ := c.in.constDims(c.n.Inputs[i])
	return k
}

var folders map[string]func(c *nodeCtx) *constant

func init() {
	folders = map[string]func(c *nodeCtx) *constant{
		"Constant":        foldConstant,
		"Shape":           foldShape,
		"Identity":        func(c *nodeCtx) *constant { return c.input(0) },
		"Cast":            foldCast,
		"Gather":          foldGather,
		"Concat":          foldConcat,
		"Unsqueeze":       foldUnsqueeze,
		"Squeeze":         foldSqueeze,
		"Slice":           foldSlice,
		"Add":             foldArith(func(a, b int64) (int64, bool) { return a + b, true }),
		"Sub":             foldArith(func(a, b int64) (int64, bool) { return a - b, true }),
		"Mul":             foldArith(func(a, b int64) (int64, bool) { return a * b, true }),
		"Div":             foldArith(floorDivOK),
		"Max":             foldArith(func(a, b int64) (int64, bool) { return max(a, b), true }),
		"Min":             foldArith(func(a, b int64) (int64, bool) { return min(a, b), true }),
		"Neg":             foldNeg,
		"Size":            foldSize,
		"ConstantOfShape": foldConstantOfShape,
	}
}

func foldNeg(c *nodeCtx) *constant {
	k := c.input(0)
	if k == nil {
		return nil
	}
	out := &constant{scalar: k.scalar, vals: make([]model.Dim, len(k.vals))}
	for i, d := range k.vals {
		if d.Known {
			out.vals[i] = model.IntDim(-d.Size)
		}
	}
	return out
}

func foldSize(c *nodeCtx) *constant {
	if p, ok := product(c.shape(0)); ok && c.shape(0) != nil {
		return &constant{scalar: true, vals: []model.Dim{model.IntDim(p)}}
	}
	return nil
}

// foldConstantOfShape folds a 1-D integer fill of a small known length.
func foldConstantOfShape(c *nodeCtx) *constant {
	k := c.input(0)
	if k == nil || len(k.vals) != 1 || !k.vals[0].Known || k.vals[0].Size < 0 || k.vals[0].Size > maxConstElems {
		return nil
	}
	fill := model.IntDim(0)
	if a := c.attr("value"); a != nil {
		if len(a.Tensors) != 1 {
			return nil
		}
		v := readConst(a.Tensors[0])
		if v == nil || len(v.vals) != 1 {
			return nil
		}
		fill = v.vals[0]
	}
	out := &constant{vals: make([]model.Dim, k.vals[0].Size)}
	for i := range out.vals {
		out.vals[i] = fill
	}
	return out
}

func floorDivOK(a, b int64) (int64, bool) {
	if b == 0 {
		return 0, false
	}
	return a / b, true
}

func foldConstant(c *nodeCtx) *constant {
	if a := c.attr("value"); a != nil && len(a.Tensors) == 1 && a.Tensors[0] != nil {
		c.in.slot(c.n.Outputs[0]).float = a.Tensors[0]
	}
	if a := c.attr("value_int"); a != nil {
		return &constant{scalar: true, vals: []model.Dim{model.IntDim(a.Int)}}
	}
	if v, ok := c.intsAttr("value_ints"); ok {
		return &constant{vals: model.ShapeOf(v)}
	}
	if a := c.attr("value"); a != nil && len(a.Tensors) == 1 {
		return readConst(a.Tensors[0])
	}
	return nil
}

func foldShape(c *nodeCtx) *constant {
	s := c.shape(0)
	if s == nil {
		return nil
	}
	lo, hi := shapeRange(c, len(s))
	return &constant{vals: append([]model.Dim(nil), s[lo:hi]...)}
}

// shapeRange is Shape's start/end attributes clamped to the rank.
func shapeRange(c *nodeCtx, r int) (int, int) {
	lo := clampAxis(c.intAttr("start", 0), r)
	hi := clampAxis(c.intAttr("end", int64(r)), r)
	return lo, max(lo, hi)
}

func clampAxis(a int64, r int) int {
	if a < 0 {
		a += int64(r)
	}
	return int(max(0, min(a, int64(r))))
}

func foldCast(c *nodeCtx) *constant {
	k := c.input(0)
	if k == nil || c.in.opt.DType == nil {
		return nil
	}
	switch c.in.opt.DType(c.intAttr("to", 0)) {
	case "int64", "int32":
		return k
	}
	return nil
}

func foldGather(c *nodeCtx) *constant {
	data, idx := c.input(0), c.input(1)
	if data == nil || idx == nil || data.scalar || c.intAttr("axis", 0) != 0 {
		return nil
	}
	out := &constant{scalar: idx.scalar}
	for _, i := range idx.vals {
		if !i.Known || i.Size < -int64(len(data.vals)) || i.Size >= int64(len(data.vals)) {
			return nil
		}
		j := i.Size
		if j < 0 {
			j += int64(len(data.vals))
		}
		out.vals = append(out.vals, data.vals[j])
	}
	return out
}

func foldConcat(c *nodeCtx) *constant {
	out := &constant{}
	for i := range c.n.Inputs {
		k := c.input(i)
		if k == nil || k.scalar {
			return nil
		}
		out.vals = append(out.vals, k.vals...)
	}
	return out
}

func foldUnsqueeze(c *nodeCtx) *constant {
	k := c.input(0)
	if k == nil || !k.scalar {
		return nil
	}
	return &constant{vals: k.vals}
}

func foldSqueeze(c *nodeCtx) *constant {
	k := c.input(0)
	if k == nil || k.scalar || len(k.vals) != 1 {
		return nil
	}
	return &constant{scalar: true, vals: k.vals}
}

func foldSlice(c *nodeCtx) *constant {
	k := c.input(0)
	if k == nil || k.scalar {
		return nil
	}
	starts, ok1 := c.ints(1, "starts")
	ends, ok2 := c.ints(2, "ends")
	steps, ok3 := c.ints(4, "")
	if !ok1 || !ok2 || len(starts) != 1 || len(ends) != 1 || (ok3 && (len(steps) != 1 || steps[0] != 1)) || (c.has(4) && !ok3) {
		return nil
	}
	if axes, ok := c.ints(3, "axes"); (c.has(3) || c.attr("axes") != nil) && (!ok || len(axes) != 1 || (axes[0] != 0 && axes[0] != -1)) {
		return nil
	}
	n := int64(len(k.vals))
	lo, hi := sliceBound(starts[0], n), sliceBound(ends[0], n)
	if hi < lo {
		hi = lo
	}
	return &constant{vals: append([]model.Dim(nil), k.vals[lo:hi]...)}
}

// sliceBound clamps a Slice start or end (step 1) into [0, n].
func sliceBound(v, n int64) int64 {
	if v < 0 {
		v += n
	}
	return max(0, min(v, n))
}

// foldArith folds elementwise integer arithmetic over known elements, a
// scalar broadcasting against a vector.
func foldArith(op func(a, b int64) (int64, bool)) func(c *nodeCtx) *constant {
	return func(c *nodeCtx) *constant {
		a, b := c.input(0), c.input(1)
		if a == nil || b == nil {
			return nil
		}
		n := max(len(a.vals), len(b.vals))
		if (len(a.vals) != n && len(a.vals) != 1) || (len(b.vals) != n && len(b.vals) != 1) {
			return nil
		}
		out := &constant{scalar: a.scalar && b.scalar, vals: make([]model.Dim, n)}
		for i := range n {
			x, y := a.vals[min(i, len(a.vals)-1)], b.vals[min(i, len(b.vals)-1)]
			if x.Known && y.Known {
				if v, ok := op(x.Size, y.Size); ok {
					out.vals[i] = model.IntDim(v)
				}
			}
		}
		return out
	}
}

// constFloats returns the values of a small float constant: an
// initializer or a Constant node's value (not folded through other ops).
func (in *Info) constFloats(name string) ([]float64, bool) {
	v := in.local(name)
	switch {
	case v != nil && v.init != nil:
		return readFloats(v.init)
	case v != nil && v.float != nil:
		return readFloats(v.float)
	case (v == nil || v.t == nil) && in.parent != nil:
		return in.parent.constFloats(name)
	}
	return nil, false
}

// readFloats reads a small float tensor's values.
func readFloats(t *model.Tensor) ([]float64, bool) {
	if t == nil || len(t.Shape) > 1 || (t.DType != "float32" && t.DType != "float64" && t.DType != "float16") {
		return nil, false
	}
	n, ok := model.NumElements(t.Shape)
	if !ok || n > maxConstElems || t.Location == nil || t.Location.Length > 8*maxConstElems {
		return nil, false
	}
	p, err := model.ReadPreview(t, int(n))
	if err != nil || int64(len(p.Values)) != n {
		return nil, false
	}
	return p.Values, true
}
