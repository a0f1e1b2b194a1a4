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
	var declared uint64
	var seen [32]bool
	var listCount int64
	err := d.each(f.off, f.end(), func(f field) error {
		if int(f.num) < len(seen) {
			seen[f.num] = true
		}
		var err error
		switch f.num {
		case attrName:
			a.Name, err = d.istr(f)
		case attrRefAttrName:
			a.RefName, err = d.str(f)
		case attrDoc:
			a.Doc, err = d.doc(f)
		case attrType:
			if err = want(f, protowire.VarintType, "attribute type"); err == nil {
				declared = f.v
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
			if err = want(f, protowire.BytesType, "graph attribute"); err == nil {
				if g, err = d.graph(f.off, f.end()); err == nil {
					a.Graphs = append(a.Graphs[:0], g)
				}
			}
		case attrTP:
			var t *model.Type
			if t, err = d.typeProto(f); err == nil {
				a.Types = append(a.Types[:0], t)
			}
		case attrFloats:
			var c int64
			c, err = d.float32s(f, maxListKeep, &a.Floats)
			listCount += c
		case attrInts:
			var c int64
			c, err = d.int64s(f, maxListKeep, &a.Ints)
			listCount += c
		case attrStrings:
			listCount++
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
			if err = want(f, protowire.BytesType, "graph attribute"); err == nil {
				if g, err = d.graph(f.off, f.end()); err == nil {
					a.Graphs = append(a.Graphs, g)
				}
			}
		case attrTypeProtos:
			var t *model.Type
			if t, err = d.typeProto(f); err == nil {
				a.Types = append(a.Types, t)
			}
		}
		return err
	})
	if err != nil && err != errTooDeep {
		return a, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	if err != nil {
		return a, err
	}
	a.Type = attrKind(declared, seen[:], a.RefName != "")
	if listCount > maxListKeep {
		a.Truncated, a.Count = true, listCount
	}
	clearOthers(&a)
	return a, nil
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
