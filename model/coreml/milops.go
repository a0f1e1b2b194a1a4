package coreml

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// maxInlineAttr is the size of an immediate value above which it is shown
// as a tensor rather than a list of values.
const maxInlineAttr = 1 << 10

// milValue is what the decoder keeps of a MIL Value.
type milValue struct {
	typ       *model.Type
	hasBlob   bool
	blobFile  string
	blobOff   uint64
	immediate field // the TensorValue of an immediate value
	str       string
}

// operation decodes an Operation into a node of g; a const operation's
// value becomes an initializer of g.
func (d *decoder) operation(msg field, g *model.Graph, depth pbwire.Depth) error {
	if err := d.charge(costNode); err != nil {
		return err
	}
	n := &model.Node{Inputs: []string{}, Outputs: []string{}}
	var outs []*model.Value
	var val *milValue
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			n.OpType = d.src.str(f)
		case 2:
			return d.opInput(f, n)
		case 3:
			v, err := d.namedValueType(f)
			if err == nil {
				outs = append(outs, v)
				n.Outputs = append(n.Outputs, v.Name)
			}
			return err
		case 4:
			b, err := d.block(f, depth)
			if err != nil {
				return err
			}
			n.Attrs = appendGraph(n.Attrs, b)
		case 5:
			e, err := d.entry(f)
			if err != nil {
				return err
			}
			return d.opAttribute(e, n, &val)
		}
		return nil
	})
	if err != nil {
		return within(err, "operation %q (%s)", n.Name, n.OpType)
	}
	if n.Name == "" && len(n.Outputs) > 0 {
		n.Name = n.Outputs[0]
	}
	for _, a := range n.Attrs {
		if a.Type == model.AttrTensor {
			a.Tensors[0].Name = n.Name + "/" + a.Name
		}
	}
	n.Category = milCategory(n.OpType)
	g.Nodes = append(g.Nodes, n)
	g.ValueInfo = append(g.ValueInfo, outs...)
	if n.OpType == "const" && len(outs) > 0 && val != nil {
		g.Initializers = append(g.Initializers, d.constTensor(outs[0], val))
	}
	return nil
}

// appendGraph adds a nested block to the node's "blocks" attribute.
func appendGraph(attrs []model.Attribute, g *model.Graph) []model.Attribute {
	for i := range attrs {
		if attrs[i].Name == "blocks" {
			attrs[i].Graphs = append(attrs[i].Graphs, g)
			return attrs
		}
	}
	return append(attrs, model.Attribute{Name: "blocks", Type: model.AttrGraphs, Graphs: []*model.Graph{g}})
}

// opInput reads one input entry (parameter name -> Argument): named
// bindings are node inputs, immediate values become attributes.
func (d *decoder) opInput(f field, n *model.Node) error {
	e, err := d.entry(f)
	if err != nil || e.value.Len == 0 {
		return err
	}
	return d.src.sub(d.ctx, e.value, func(b field) error {
		if b.Num != 1 {
			return nil
		}
		if err := d.charge(costValue); err != nil {
			return err
		}
		return d.src.sub(d.ctx, b, func(bind field) error {
			switch bind.Num {
			case 1:
				n.Inputs = append(n.Inputs, d.src.str(bind))
			case 2:
				v, err := d.value(bind)
				if err != nil {
					return err
				}
				if a, ok := d.immediateAttr(e.key, v); ok {
					n.Attrs = append(n.Attrs, a)
				}
			}
			return nil
		})
	})
}

// opAttribute reads one attribute: "name" names the node, "val" is a
// const's value; others become attributes when they are small immediates.
func (d *decoder) opAttribute(e mapEntry, n *model.Node, val **milValue) error {
	if err := d.charge(costValue); err != nil || e.value.Len == 0 {
		return err
	}
	v, err := d.value(e.value)
	if err != nil {
		return within(err, "attribute %q", e.key)
	}
	switch e.key {
	case "name":
		n.Name = v.str
	case "val":
		*val = v
		if v.hasBlob {
			n.Attrs = append(n.Attrs, model.Attribute{Name: "blob", Type: model.AttrString, String: fmt.Sprintf("%s @ %d", v.blobFile, v.blobOff)})
		}
	default:
		if v.hasBlob || v.immediate.Len > maxInlineAttr {
			// constexpr_* operations keep their weights in attributes
			t := d.constTensor(&model.Value{Name: e.key, Type: v.typ}, v)
			n.Attrs = append(n.Attrs, model.Attribute{Name: e.key, Type: model.AttrTensor, Tensors: []*model.Tensor{t}})
			return nil
		}
		if a, ok := d.immediateAttr(e.key, v); ok {
			n.Attrs = append(n.Attrs, a)
		}
	}
	return nil
}

// value reads a Value: its type, and either a blob file reference or an
// immediate tensor value.
func (d *decoder) value(msg field) (*milValue, error) {
	v := &milValue{}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 2:
			t, err := d.valueType(f, 0)
			v.typ = t
			return err
		case 3:
			return d.src.sub(d.ctx, f, func(iv field) error {
				if iv.Num == 1 && iv.Type == protowire.BytesType {
					v.immediate = iv
					v.str = d.firstString(iv)
				}
				return nil
			})
		case 5:
			v.hasBlob = true
			return d.src.sub(d.ctx, f, func(b field) error {
				switch b.Num {
				case 1:
					v.blobFile = d.src.str(b)
				case 2:
					v.blobOff = b.Varint
				}
				return nil
			})
		}
		return nil
	})
	return v, err
}

// firstString returns the first string of a TensorValue's strings.
func (d *decoder) firstString(tv field) string {
	s := ""
	_ = d.src.sub(d.ctx, tv, func(f field) error {
		if f.Num != 4 || s != "" {
			return nil
		}
		return d.src.sub(d.ctx, f, func(r field) error {
			if r.Num == 1 && s == "" {
				s = d.src.str(r)
			}
			return nil
		})
	})
	return s
}

// immediateAttr turns a small immediate value into an attribute; a
// scalar (rank 0) keeps its single value.
func (d *decoder) immediateAttr(name string, v *milValue) (model.Attribute, bool) {
	if v.immediate.Type != protowire.BytesType {
		return model.Attribute{}, false
	}
	var attrs []model.Attribute
	err := d.src.sub(d.ctx, v.immediate, func(f field) error {
		kind, ok := immediateKinds[f.Num]
		if !ok || f.Type != protowire.BytesType {
			return nil
		}
		return d.src.sub(d.ctx, f, func(r field) error {
			if r.Num != 1 {
				return nil
			}
			if a, ok := scalarAttr(r, paramField{name: name, kind: kind, repeated: true}, ""); ok {
				attrs = mergeAttr(attrs, a)
			}
			return nil
		})
	})
	if err != nil || len(attrs) == 0 {
		return model.Attribute{}, false
	}
	a := attrs[0]
	if v.typ != nil && v.typ.Shape != nil && len(v.typ.Shape) == 0 {
		a = scalarOf(a)
	}
	return a, true
}

// immediateKinds maps TensorValue fields to the kind of their values.
var immediateKinds = map[protowire.Number]fieldKind{1: kFloat, 2: kInt, 3: kBool, 4: kString, 5: kInt, 6: kDouble}

// scalarOf turns a one-value list attribute into a scalar one.
func scalarOf(a model.Attribute) model.Attribute {
	switch {
	case a.Type == model.AttrFloats && len(a.Floats) == 1:
		return model.Attribute{Name: a.Name, Type: model.AttrFloat, Float: a.Floats[0]}
	case a.Type == model.AttrInts && len(a.Ints) == 1:
		return model.Attribute{Name: a.Name, Type: model.AttrInt, Int: a.Ints[0]}
	case a.Type == model.AttrStrings && len(a.Strings) == 1:
		return model.Attribute{Name: a.Name, Type: model.AttrString, String: a.Strings[0]}
	}
	return a
}
