package onnx

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// AttributeProto field numbers.
const (
	attrName         = 1
	attrF            = 2
	attrI            = 3
	attrS            = 4
	attrT            = 5
	attrG            = 6
	attrFloats       = 7
	attrInts         = 8
	attrStrings      = 9
	attrTensors      = 10
	attrGraphs       = 11
	attrDoc          = 13
	attrTP           = 14
	attrTypeProtos   = 15
	attrType         = 20
	attrRefAttrName  = 21
	attrSparseTensor = 22
	attrSparseTensrs = 23
)

// AttributeProto.AttributeType values.
const (
	atFloat         = 1
	atInt           = 2
	atString        = 3
	atTensor        = 4
	atGraph         = 5
	atFloats        = 6
	atInts          = 7
	atStrings       = 8
	atTensors       = 9
	atGraphs        = 10
	atSparseTensor  = 11
	atSparseTensors = 12
	atTypeProto     = 13
	atTypeProtos    = 14
)

// attribute decodes an AttributeProto. The value fields are decoded as
// they come; the declared type (or, in files older than IR version 2, the
// field that is set) decides which of them the Attribute reports.
func (d *decoder) attribute(f field) (model.Attribute, error) {
	var a model.Attribute
	if err := want(f, protowire.BytesType, "attribute"); err != nil {
		return a, err
	}
	if err := d.charge(costAttr); err != nil {
		return a, err
	}
	ad := attrDecoder{d: d, a: &a}
	err := d.each(f.off, f.end(), func(f field) error {
		if int(f.num) < len(ad.seen) {
			ad.seen[f.num] = true
		}
		if handled, err := ad.scalar(f); handled {
			return err
		}
		return ad.list(f)
	})
	if err != nil && err != errTooDeep {
		return a, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	if err != nil {
		return a, err
	}
	a.Type = attrKind(ad.declared, ad.seen[:], a.RefName != "")
	if ad.listCount > maxListKeep {
		a.Truncated, a.Count = true, ad.listCount
	}
	clearOthers(&a)
	return a, nil
}

// attrDecoder collects the fields of one AttributeProto into a.
type attrDecoder struct {
	d         *decoder
	a         *model.Attribute
	declared  uint64   // the type the attribute declares
	seen      [32]bool // the field numbers present
	listCount int64    // elements of the list fields, kept or not
}

// scalar decodes the attribute's name, documentation, type and
// single-valued fields; handled is false for any other field.
func (ad *attrDecoder) scalar(f field) (handled bool, err error) {
	d, a := ad.d, ad.a
	switch f.num {
	case attrName:
		a.Name, err = d.istr(f)
	case attrRefAttrName:
		a.RefName, err = d.str(f)
	case attrDoc:
		a.Doc, err = d.doc(f)
	case attrType:
		if err = want(f, protowire.VarintType, "attribute type"); err == nil {
			ad.declared = f.v
		}
	case attrF:
		if err = want(f, protowire.Fixed32Type, "float attribute"); err == nil {
			a.Float = float64(math.Float32frombits(uint32(f.v)))
		}
	case attrI:
		if err = want(f, protowire.VarintType, "int attribute"); err == nil {
			a.Int = int64(f.v)
		}
	case attrS:
		if err = want(f, protowire.BytesType, "string attribute"); err == nil {
			a.String, err = d.attrString(f)
		}
	case attrT, attrSparseTensor:
		var t *model.Tensor
		if t, err = d.attrTensor(f); err == nil {
			a.Tensors = append(a.Tensors[:0], t)
		}
	case attrG:
		var g *model.Graph
		if g, err = ad.graph(f); err == nil {
			a.Graphs = append(a.Graphs[:0], g)
		}
	case attrTP:
		var t *model.Type
		if t, err = d.typeProto(f); err == nil {
			a.Types = append(a.Types[:0], t)
		}
	default:
		return false, nil
	}
	return true, err
}

// list decodes the attribute's list fields (unknown fields are skipped);
// lists keep at most maxListKeep numbers and strings but count them all.
func (ad *attrDecoder) list(f field) (err error) {
	d, a := ad.d, ad.a
	switch f.num {
	case attrFloats:
		var c int64
		c, err = d.float32s(f, maxListKeep, &a.Floats)
		ad.listCount += c
	case attrInts:
		var c int64
		c, err = d.int64s(f, maxListKeep, &a.Ints)
		ad.listCount += c
	case attrStrings:
		ad.listCount++
		if len(a.Strings) < maxListKeep {
			var s string
			if s, err = d.attrString(f); err == nil {
				a.Strings = append(a.Strings, s)
			}
		}
	case attrTensors, attrSparseTensrs:
		var t *model.Tensor
		if t, err = d.attrTensor(f); err == nil {
			a.Tensors = append(a.Tensors, t)
		}
	case attrGraphs:
		var g *model.Graph
		if g, err = ad.graph(f); err == nil {
			a.Graphs = append(a.Graphs, g)
		}
	case attrTypeProtos:
		var t *model.Type
		if t, err = d.typeProto(f); err == nil {
			a.Types = append(a.Types, t)
		}
	}
	return err
}

// graph decodes a graph-valued field.
func (ad *attrDecoder) graph(f field) (*model.Graph, error) {
	if err := want(f, protowire.BytesType, "graph attribute"); err != nil {
		return nil, err
	}
	return ad.d.graph(f.off, f.end())
}

// attrString returns a string attribute value, cut to maxDoc bytes (long
// strings are usually embedded blobs).
func (d *decoder) attrString(f field) (string, error) {
	if err := d.charge(costString); err != nil {
		return "", err
	}
	return d.doc(f)
}

// attrTensor decodes a tensor or sparse tensor attribute value.
func (d *decoder) attrTensor(f field) (*model.Tensor, error) {
	if err := want(f, protowire.BytesType, "tensor attribute"); err != nil {
		return nil, err
	}
	if f.num == attrSparseTensor || f.num == attrSparseTensrs {
		return d.sparseTensor(f)
	}
	return d.tensor(f.off, f.end())
}

// attrKind maps the declared attribute type to the IR's, inferring it from
// the fields present when the declaration is missing.
func attrKind(declared uint64, seen []bool, ref bool) model.AttrType {
	switch declared {
	case atFloat:
		return model.AttrFloat
	case atInt:
		return model.AttrInt
	case atString:
		return model.AttrString
	case atTensor, atSparseTensor:
		return model.AttrTensor
	case atGraph:
		return model.AttrGraph
	case atFloats:
		return model.AttrFloats
	case atInts:
		return model.AttrInts
	case atStrings:
		return model.AttrStrings
	case atTensors, atSparseTensors:
		return model.AttrTensors
	case atGraphs:
		return model.AttrGraphs
	case atTypeProto:
		return model.AttrType_
	case atTypeProtos:
		return model.AttrTypes
	}
	if ref {
		return model.AttrRef
	}
	switch {
	case seen[attrF]:
		return model.AttrFloat
	case seen[attrI]:
		return model.AttrInt
	case seen[attrS]:
		return model.AttrString
	case seen[attrT], seen[attrSparseTensor]:
		return model.AttrTensor
	case seen[attrG]:
		return model.AttrGraph
	case seen[attrTP]:
		return model.AttrType_
	case seen[attrFloats]:
		return model.AttrFloats
	case seen[attrInts]:
		return model.AttrInts
	case seen[attrStrings]:
		return model.AttrStrings
	case seen[attrTensors], seen[attrSparseTensrs]:
		return model.AttrTensors
	case seen[attrGraphs]:
		return model.AttrGraphs
	case seen[attrTypeProtos]:
		return model.AttrTypes
	}
	return model.AttrOther
}

// clearOthers keeps only the value fields matching the attribute's type.
func clearOthers(a *model.Attribute) {
	t := a.Type
	if t != model.AttrFloat {
		a.Float = 0
	}
	if t != model.AttrInt {
		a.Int = 0
	}
	if t != model.AttrString {
		a.String = ""
	}
	if t != model.AttrFloats {
		a.Floats = nil
	}
	if t != model.AttrInts {
		a.Ints = nil
	}
	if t != model.AttrStrings {
		a.Strings = nil
	}
	switch t {
	case model.AttrTensor:
		a.Tensors = a.Tensors[:min(len(a.Tensors), 1)]
	case model.AttrTensors:
	default:
		a.Tensors = nil
	}
	switch t {
	case model.AttrGraph:
		a.Graphs = a.Graphs[:min(len(a.Graphs), 1)]
	case model.AttrGraphs:
	default:
		a.Graphs = nil
	}
	switch t {
	case model.AttrType_:
		a.Types = a.Types[:min(len(a.Types), 1)]
	case model.AttrTypes:
	default:
		a.Types = nil
	}
	if t != model.AttrInts && t != model.AttrFloats && t != model.AttrStrings {
		a.Truncated, a.Count = false, 0
	}
}
