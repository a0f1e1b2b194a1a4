package onnx

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// GraphProto field numbers.
const (
	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphDoc         = 10
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13
	graphSparseInit  = 15
)

// graph decodes the GraphProto stored in [off, end).
func (d *decoder) graph(off, end int64) (*model.Graph, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	g := emptyGraph()
	err := d.each(off, end, func(f field) error {
		if f.num == graphNode {
			return d.appendNode(g, f)
		}
		return d.graphField(g, f)
	})
	if err := graphError(g, err); err != nil {
		return nil, err
	}
	return g, nil
}

// graphError names graph g in a decoding error err (nil stays nil).
func graphError(g *model.Graph, err error) error {
	switch {
	case err == nil, err == errTooDeep:
		return err
	case g.Name != "":
		return fmt.Errorf("graph %q: %w", g.Name, err)
	}
	return fmt.Errorf("graph: %w", err)
}

// appendNode decodes node field f and appends it to g.
func (d *decoder) appendNode(g *model.Graph, f field) error {
	n, err := d.node(f)
	if err == nil {
		g.Nodes = append(g.Nodes, n)
	}
	return err
}

// graphField decodes field f of a GraphProto, other than a node, into g.
func (d *decoder) graphField(g *model.Graph, f field) error {
	var err error
	switch f.num {
	case graphName:
		g.Name, err = d.str(f)
	case graphInitializer:
		var t *model.Tensor
		if err = want(f, protowire.BytesType, "initializer"); err == nil {
			if t, err = d.tensor(f.off, f.end()); err == nil {
				t.Name, err = d.sharedName(t.Name)
				g.Initializers = append(g.Initializers, t)
			}
		}
	case graphSparseInit:
		var t *model.Tensor
		if t, err = d.sparseTensor(f); err == nil {
			t.Name, err = d.sharedName(t.Name)
			g.Initializers = append(g.Initializers, t)
		}
	case graphDoc:
		g.Doc, err = d.doc(f)
	case graphInput, graphOutput, graphValueInfo:
		var v *model.Value
		if v, err = d.valueInfo(f); err == nil {
			switch f.num {
			case graphInput:
				g.Inputs = append(g.Inputs, v)
			case graphOutput:
				g.Outputs = append(g.Outputs, v)
			default:
				g.ValueInfo = append(g.ValueInfo, v)
			}
		}
	}
	return err
}

// NodeProto field numbers.
const (
	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDoc       = 6
	nodeDomain    = 7
	nodeOverload  = 8
)

// maxSharedCopy is the largest node message whose names are cut from one
// shared copy (bigger nodes hold tensors that should not be copied).
const maxSharedCopy = 512

// node decodes a NodeProto.
func (d *decoder) node(f field) (*model.Node, error) {
	if err := want(f, protowire.BytesType, "node"); err != nil {
		return nil, err
	}
	if err := d.charge(costNode); err != nil {
		return nil, err
	}
	n := d.newNode()
	inMark, outMark, attrMark := len(d.scratchStr), len(d.scratchOut), len(d.scratchAttr)
	shared := f.n <= maxSharedCopy
	keyStart, keyOKBefore := len(d.attrKey), d.attrKeyOK
	d.attrKeyOK = shared
	defer func() { d.attrKey, d.attrKeyOK = d.attrKey[:keyStart], keyOKBefore }()
	if shared {
		// One copy of the whole node holds all its names.
		b, err := d.src.bytes(f.off, f.n)
		if err != nil {
			return nil, err
		}
		oldBuf, oldBase := d.strBuf, d.strBase
		d.strBuf, d.strBase = string(b), f.off
		defer func() { d.strBuf, d.strBase = oldBuf, oldBase }()
	}
	err := d.each(f.off, f.end(), func(f field) error { return d.nodeField(n, f) })
	n.Inputs = d.takeStrings(inMark)
	n.Outputs = d.takeOutputs(outMark)
	n.Attrs = d.sharedAttrs(attrMark, d.attrKey[keyStart:], d.attrKeyOK)
	if err == nil {
		err = d.shareNodeNames(n, shared)
	}
	if err == errTooDeep {
		return nil, err
	}
	if err != nil {
		if n.Name != "" || n.OpType != "" {
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.OpType, err)
		}
		return nil, fmt.Errorf("node: %w", err)
	}
	n.Domain = normDomain(n.Domain)
	return n, nil
}

// nodeField decodes one field of a NodeProto into n (its inputs, outputs
// and attributes onto the scratch stacks).
func (d *decoder) nodeField(n *model.Node, f field) error {
	var err error
	var s string
	switch f.num {
	case nodeInput:
		if s, err = d.str(f); err == nil {
			d.scratchStr = append(d.scratchStr, s)
		}
	case nodeOutput:
		if s, err = d.str(f); err == nil {
			d.scratchOut = append(d.scratchOut, s)
		}
	case nodeName:
		n.Name, err = d.str(f)
	case nodeOpType:
		n.OpType, err = d.istr(f)
	case nodeDomain:
		n.Domain, err = d.istr(f)
	case nodeDoc:
		n.Doc, err = d.doc(f)
	case nodeAttribute:
		d.attrKeyAdd(f)
		var a model.Attribute
		if a, err = d.attribute(f); err == nil {
			d.scratchAttr = append(d.scratchAttr, a)
		}
	}
	return err
}

// valueInfo decodes a ValueInfoProto.
func (d *decoder) valueInfo(f field) (*model.Value, error) {
	if err := want(f, protowire.BytesType, "value info"); err != nil {
		return nil, err
	}
	if err := d.charge(costValue); err != nil {
		return nil, err
	}
	v := &model.Value{}
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case 1:
			v.Name, err = d.str(f)
		case 2:
			v.Type, err = d.sharedType(f)
		case 3:
			v.Doc, err = d.doc(f)
		}
		return err
	})
	if err == nil {
		v.Name, err = d.sharedName(v.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", v.Name, err)
	}
	return v, nil
}

// TypeProto field numbers.
const (
	typeTensor     = 1
	typeSequence   = 4
	typeMap        = 5
	typeDenotation = 6
	typeOpaque     = 7
	typeSparse     = 8
	typeOptional   = 9
)

// typeProto decodes a TypeProto. A TypeProto with no value set decodes to
// nil, unless it has a denotation.
func (d *decoder) typeProto(f field) (*model.Type, error) {
	if err := want(f, protowire.BytesType, "type"); err != nil {
		return nil, err
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	if err := d.charge(costType); err != nil {
		return nil, err
	}
	var t *model.Type
	var denotation string
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case typeTensor, typeSparse:
			kind := model.KindTensor
			if f.num == typeSparse {
				kind = model.KindSparseTensor
			}
			t, err = d.tensorType(f, kind)
		case typeSequence, typeOptional:
			kind := model.KindSequence
			if f.num == typeOptional {
				kind = model.KindOptional
			}
			t = &model.Type{Kind: kind}
			t.Elem, err = d.elemType(f, 1)
		case typeMap:
			t, err = d.mapType(f)
		case typeOpaque:
			t, err = d.opaqueType(f)
		case typeDenotation:
			denotation, err = d.str(f)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if denotation != "" {
		if t == nil {
			t = &model.Type{Kind: model.KindOpaque}
		}
		t.Denotation = denotation
	}
	return t, nil
}

// elemType decodes the TypeProto held in field num of a message.
func (d *decoder) elemType(f field, num protowire.Number) (*model.Type, error) {
	if err := want(f, protowire.BytesType, "type"); err != nil {
		return nil, err
	}
	var t *model.Type
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		if f.num == num {
			t, err = d.typeProto(f)
		}
		return err
	})
	return t, err
}

// tensorType decodes TypeProto.Tensor and TypeProto.SparseTensor.
func (d *decoder) tensorType(f field, kind model.TypeKind) (*model.Type, error) {
	if err := want(f, protowire.BytesType, "tensor type"); err != nil {
		return nil, err
	}
	t := &model.Type{Kind: kind}
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case 1:
			if err = want(f, protowire.VarintType, "elem_type"); err == nil {
				t.DType = dtypeOf(f.v)
			}
		case 2:
			t.Shape, err = d.shape(f, t.Shape)
		}
		return err
	})
	return t, err
}

// maxRank bounds the number of dimensions of a shape.
const maxRank = 1024

// shape decodes a TensorShapeProto, appending to s. A present shape with no
// dimensions is a scalar: an empty, non-nil Shape.
func (d *decoder) shape(f field, s model.Shape) (model.Shape, error) {
	if err := want(f, protowire.BytesType, "shape"); err != nil {
		return nil, err
	}
	if s == nil {
		s = model.Shape{}
	}
	err := d.each(f.off, f.end(), func(f field) error {
		if f.num != 1 {
			return nil
		}
		if err := want(f, protowire.BytesType, "dimension"); err != nil {
			return err
		}
		if len(s) >= maxRank {
			return fmt.Errorf("a shape has more than %d dimensions", maxRank)
		}
		if err := d.charge(costDim); err != nil {
			return err
		}
		var dim model.Dim
		err := d.each(f.off, f.end(), func(f field) error {
			var err error
			switch f.num {
			case 1:
				if err = want(f, protowire.VarintType, "dim_value"); err == nil {
					dim = model.IntDim(int64(f.v))
				}
			case 2:
				var p string
				if p, err = d.istr(f); err == nil {
					dim = model.Dim{Param: p}
				}
			}
			return err
		})
		s = append(s, dim)
		return err
	})
	return s, err
}

// mapType decodes TypeProto.Map.
func (d *decoder) mapType(f field) (*model.Type, error) {
	if err := want(f, protowire.BytesType, "map type"); err != nil {
		return nil, err
	}
	t := &model.Type{Kind: model.KindMap}
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case 1:
			if err = want(f, protowire.VarintType, "key_type"); err == nil {
				t.Key = dtypeOf(f.v)
			}
		case 2:
			t.Elem, err = d.typeProto(f)
		}
		return err
	})
	return t, err
}

// opaqueType decodes TypeProto.Opaque; its domain and name become the
// denotation-like DType "domain.name".
func (d *decoder) opaqueType(f field) (*model.Type, error) {
	if err := want(f, protowire.BytesType, "opaque type"); err != nil {
		return nil, err
	}
	var domain, name string
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case 1:
			domain, err = d.str(f)
		case 2:
			name, err = d.str(f)
		}
		return err
	})
	dt := name
	if domain != "" {
		dt = domain + "." + name
	}
	return &model.Type{Kind: model.KindOpaque, DType: model.DType(dt)}, err
}
