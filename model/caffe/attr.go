package caffe

import (
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// addAttr adds one field of a binary parameter message to the layer's
// attributes, merging repeated fields into one list attribute.
func addAttr(l *layer, def fieldDef, f pbwire.Field, d pbwire.Depth) error {
	if def.name == "" {
		return nil
	}
	a, err := attrOf(def, f, d)
	if err != nil || a.Type == "" {
		return err
	}
	if def.repeated {
		mergeList(l, a)
		return nil
	}
	l.attrs = append(l.attrs, a)
	return nil
}

// attrOf types one binary field; nested messages other than BlobShape
// are left out.
func attrOf(def fieldDef, f pbwire.Field, _ pbwire.Depth) (model.Attribute, error) {
	a := model.Attribute{Name: def.name}
	var err error
	switch def.kind {
	case kInt, kUint:
		a.Type = model.AttrInts
		a.Ints, _, err = f.Ints(nil, maxList)
	case kBool:
		a.Type, a.Int = model.AttrBool, int64(f.Varint&1)
	case kFloat:
		a.Type = model.AttrFloats
		a.Floats, _, err = f.Floats(nil, maxList)
	case kDouble:
		if f.Type == protowire.Fixed64Type {
			a.Type, a.Floats = model.AttrFloats, []float64{f.Float64()}
		}
	case kString, kBytes:
		if f.Type == protowire.BytesType {
			a.Type, a.String = model.AttrString, f.String()
		}
	case kEnum:
		a.Type, a.String = model.AttrString, enumName(def.ref, f.Int())
	case kMessage:
		if def.ref == "BlobShape" && f.Type == protowire.BytesType {
			a.Type = model.AttrInts
			err = pbwire.Walk(f.Bytes, 0, func(sf pbwire.Field) error {
				var e error
				if sf.Num == 1 {
					a.Ints, _, e = sf.Ints(a.Ints, maxList)
				}
				return e
			})
		}
	}
	return scalarize(a), err
}

// scalarize turns one-value lists of singular fields into scalars.
func scalarize(a model.Attribute) model.Attribute {
	switch {
	case a.Type == model.AttrInts && len(a.Ints) == 1 && a.Name != "shape" && a.Name != "dim":
		a.Type, a.Int, a.Ints = model.AttrInt, a.Ints[0], nil
	case a.Type == model.AttrFloats && len(a.Floats) == 1:
		a.Type, a.Float, a.Floats = model.AttrFloat, a.Floats[0], nil
	}
	return a
}

// mergeList appends a repeated field's value to the attribute of the same
// name, or adds it as a list.
func mergeList(l *layer, a model.Attribute) {
	for i := range l.attrs {
		if l.attrs[i].Name != a.Name {
			continue
		}
		prev := &l.attrs[i]
		switch {
		case prev.Type == model.AttrInt && a.Type == model.AttrInt:
			prev.Type, prev.Ints = model.AttrInts, []int64{prev.Int, a.Int}
		case prev.Type == model.AttrInts && a.Type == model.AttrInt && len(prev.Ints) < maxList:
			prev.Ints = append(prev.Ints, a.Int)
		case prev.Type == model.AttrFloat && a.Type == model.AttrFloat:
			prev.Type, prev.Floats = model.AttrFloats, []float64{prev.Float, a.Float}
		case prev.Type == model.AttrFloats && a.Type == model.AttrFloat && len(prev.Floats) < maxList:
			prev.Floats = append(prev.Floats, a.Float)
		case prev.Type == model.AttrString && a.Type == model.AttrString:
			prev.Type, prev.Strings = model.AttrStrings, []string{prev.String, a.String}
		case prev.Type == model.AttrStrings && a.Type == model.AttrString && len(prev.Strings) < maxList:
			prev.Strings = append(prev.Strings, a.String)
		}
		return
	}
	l.attrs = append(l.attrs, a)
}

func enumName(enum string, v int64) string {
	if s, ok := enums[enum][v]; ok {
		return s
	}
	return "value " + strconv.FormatInt(v, 10)
}
