package shapeinfer

import (
	"github.com/modelpeek/modelpeek/model"
)

func init() {
	register(func(c *nodeCtx) []*model.Type { return c.one(tensor("int64", model.Shape{})) }, "SequenceLength")
	register(func(c *nodeCtx) []*model.Type { return c.one(tensor("bool", model.Shape{})) }, "OptionalHasElement")
	register(sequenceConstructRule, "SequenceConstruct")
	register(sequenceInsertRule, "SequenceInsert")
	register(func(c *nodeCtx) []*model.Type { return c.one(c.anyType(0)) }, "SequenceErase")
	register(sequenceAtRule, "SequenceAt")
	register(optionalGetRule, "OptionalGetElement")
	register(maxUnpoolRule, "MaxUnpool")
}

// anyType returns input i's type of any kind, nil when absent or unknown.
func (c *nodeCtx) anyType(i int) *model.Type {
	if !c.has(i) {
		return nil
	}
	return c.in.Type(c.n.Inputs[i])
}

// sequenceOf wraps an element type in a sequence type; nil for nil.
func sequenceOf(elem *model.Type) *model.Type {
	if elem == nil {
		return nil
	}
	return &model.Type{Kind: model.KindSequence, Elem: elem}
}

// unionType is the tensor type that covers a and b: the dtype when both
// agree, the rank when both agree, dims that are equal (else unknown).
func unionType(a, b *model.Type) *model.Type {
	if a == nil || b == nil || a.Kind != model.KindTensor || b.Kind != model.KindTensor || a.DType != b.DType {
		return nil
	}
	out := &model.Type{Kind: model.KindTensor, DType: a.DType}
	if a.Shape == nil || b.Shape == nil || len(a.Shape) != len(b.Shape) {
		return out
	}
	out.Shape = make(model.Shape, len(a.Shape))
	for i, d := range a.Shape {
		if d == b.Shape[i] && (d.Known || d.Param != "") {
			out.Shape[i] = d
		}
	}
	return out
}

// sequenceConstructRule: a sequence of the inputs' union type.
func sequenceConstructRule(c *nodeCtx) []*model.Type {
	if len(c.n.Inputs) == 0 {
		return nil
	}
	elem := c.anyType(0)
	for i := 1; i < len(c.n.Inputs) && elem != nil; i++ {
		elem = unionType(elem, c.anyType(i))
	}
	if elem != nil && elem.Kind != model.KindTensor {
		return nil
	}
	return c.one(sequenceOf(elem))
}

// sequenceInsertRule: the sequence's element type united with the
// inserted tensor's.
func sequenceInsertRule(c *nodeCtx) []*model.Type {
	s := c.anyType(0)
	if s == nil || s.Kind != model.KindSequence {
		return nil
	}
	return c.one(sequenceOf(unionType(s.Elem, c.anyType(1))))
}

// sequenceAtRule: the sequence's element type.
func sequenceAtRule(c *nodeCtx) []*model.Type {
	if s := c.anyType(0); s != nil && s.Kind == model.KindSequence && s.Elem != nil && s.Elem.Kind == model.KindTensor {
		return c.one(s.Elem)
	}
	return nil
}

// optionalGetRule: an optional's element type; a tensor or sequence
// input (opset 18) passes through.
func optionalGetRule(c *nodeCtx) []*model.Type {
	t := c.anyType(0)
	switch {
	case t == nil:
		return nil
	case t.Kind == model.KindOptional:
		return c.one(t.Elem)
	case t.Kind == model.KindTensor || t.Kind == model.KindSequence:
		return c.one(t)
	}
	return nil
}

// maxUnpoolRule: the output_shape input when folded, else each spatial
// dim (in - 1) * stride - pads + kernel.
func maxUnpoolRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	if len(x) < 3 {
		return c.one(tensor(dt, nil))
	}
	if c.has(2) {
		if v, ok := c.ints(2, ""); ok && len(v) == len(x) {
			return c.one(tensor(dt, model.ShapeOf(v)))
		}
		return c.one(tensor(dt, unknownShape(len(x))))
	}
	n := len(x) - 2
	w, ok := windowOf(c, n, nil)
	s := append(model.Shape{x[0], x[1]}, unknownShape(n)...)
	if !ok {
		return c.one(tensor(dt, s))
	}
	for i, d := range x[2:] {
		if !d.Known || d.Size <= 0 || d.Size > 1<<40 || w.strides[i] <= 0 || w.strides[i] > 1<<16 || w.kernel[i] > 1<<16 {
			continue
		}
		if v := (d.Size-1)*w.strides[i] - w.pads[i] - w.pads[i+n] + w.kernel[i]; v > 0 && v < 1<<62 {
			s[2+i] = model.IntDim(v)
		}
	}
	return c.one(tensor(dt, s))
}
