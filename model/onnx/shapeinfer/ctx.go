package shapeinfer

import (
	"github.com/modelpeek/modelpeek/model"
)

// nodeCtx is what a shape rule sees of one node.
type nodeCtx struct {
	in *Info
	n  *model.Node
	// ins are the inputs' types, looked up once (Info.inputTypes); nil
	// when the context was made without them: typ looks them up then.
	ins []*model.Type
	out [1]*model.Type // what one returns: a rule's result is read before the next node
}

// rule returns the types of a node's outputs (nil entries: unknown).
type rule func(c *nodeCtx) []*model.Type

// typ returns input i's type, nil when absent or unknown.
func (c *nodeCtx) typ(i int) *model.Type {
	if i >= len(c.n.Inputs) || c.n.Inputs[i] == "" {
		return nil
	}
	var t *model.Type
	if c.ins != nil {
		t = c.ins[i]
	} else {
		t = c.in.Type(c.n.Inputs[i])
	}
	if t == nil || t.Kind != model.KindTensor {
		return nil
	}
	return t
}

// shape returns input i's shape, nil when its rank is unknown.
func (c *nodeCtx) shape(i int) model.Shape {
	if t := c.typ(i); t != nil {
		return t.Shape
	}
	return nil
}

// dtype returns input i's dtype, "" when unknown.
func (c *nodeCtx) dtype(i int) model.DType {
	if t := c.typ(i); t != nil {
		return t.DType
	}
	return ""
}

// has reports whether input i is given.
func (c *nodeCtx) has(i int) bool { return i < len(c.n.Inputs) && c.n.Inputs[i] != "" }

// attr returns the named attribute, nil when absent.
func (c *nodeCtx) attr(name string) *model.Attribute {
	for i := range c.n.Attrs {
		if c.n.Attrs[i].Name == name {
			return &c.n.Attrs[i]
		}
	}
	return nil
}

// intAttr returns an int attribute, or def when absent.
func (c *nodeCtx) intAttr(name string, def int64) int64 {
	if a := c.attr(name); a != nil && a.Type == model.AttrInt {
		return a.Int
	}
	return def
}

// intsAttr returns an ints attribute; ok is false when absent or cut.
func (c *nodeCtx) intsAttr(name string) ([]int64, bool) {
	a := c.attr(name)
	if a == nil || a.Type != model.AttrInts || a.Truncated {
		return nil, false
	}
	return a.Ints, true
}

// ints returns input i's folded integer values, or the ints attribute
// attrName for operator sets that took it as an attribute.
func (c *nodeCtx) ints(i int, attrName string) ([]int64, bool) {
	if c.has(i) {
		return c.in.constInts(c.n.Inputs[i])
	}
	if attrName != "" {
		return c.intsAttr(attrName)
	}
	return nil, false
}

// tensor makes a tensor type.
func tensor(dt model.DType, s model.Shape) *model.Type {
	if dt == "" && s == nil {
		return nil
	}
	return &model.Type{Kind: model.KindTensor, DType: dt, Shape: s}
}

// one wraps a single output type.
func (c *nodeCtx) one(t *model.Type) []*model.Type {
	c.out[0] = t
	return c.out[:1]
}
