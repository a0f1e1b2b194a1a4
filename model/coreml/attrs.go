package coreml

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// scalarAttr turns a scalar params field into an attribute.
func scalarAttr(f field, pf paramField, prefix string) (model.Attribute, bool) {
	a := model.Attribute{Name: prefix + pf.name}
	w := f.wire()
	switch pf.kind {
	case kFloat, kDouble:
		vals, total := floatValues(f, pf.kind == kDouble)
		if pf.repeated {
			a.Type, a.Floats = model.AttrFloats, vals
			a.Truncated, a.Count = total > len(vals), int64(total)
		} else if len(vals) > 0 {
			a.Type, a.Float = model.AttrFloat, vals[0]
		}
	case kInt, kEnum, kBool:
		ints, total, err := w.Ints(nil, maxAttrValues)
		if err != nil || len(ints) == 0 {
			return a, false
		}
		switch {
		case pf.repeated:
			a.Type, a.Ints = model.AttrInts, ints
			a.Truncated, a.Count = total > len(ints), int64(total)
		case pf.kind == kBool:
			a.Type, a.Int = model.AttrBool, ints[0]
		default:
			a.Type, a.Int = model.AttrInt, ints[0]
		}
	case kString:
		if f.Type != protowire.BytesType {
			return a, false
		}
		a.Type, a.String = model.AttrString, w.String()
		if pf.repeated {
			a.Type, a.Strings, a.String = model.AttrStrings, []string{a.String}, ""
		}
	default:
		return a, false
	}
	return a, a.Type != ""
}

// floatValues decodes a float or double field, packed or not, keeping at
// most maxAttrValues values.
func floatValues(f field, double bool) ([]float64, int) {
	switch {
	case f.Type == protowire.Fixed32Type && !double:
		return []float64{float64(math.Float32frombits(uint32(f.Varint)))}, 1
	case f.Type == protowire.Fixed64Type && double:
		return []float64{math.Float64frombits(f.Varint)}, 1
	case f.Type != protowire.BytesType:
		return nil, 0
	}
	if !double {
		vals, total, _ := f.wire().Floats(nil, maxAttrValues)
		return vals, total
	}
	total := len(f.Bytes) / 8
	var vals []float64
	for i := 0; i < total && len(vals) < maxAttrValues; i++ {
		vals = append(vals, math.Float64frombits(le64(f.Bytes[8*i:])))
	}
	return vals, total
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// mergeAttr appends a, or extends an attribute of the same name (a
// repeated field stored unpacked, one value per field).
func mergeAttr(attrs []model.Attribute, a model.Attribute) []model.Attribute {
	for i := range attrs {
		p := &attrs[i]
		if p.Name != a.Name || p.Type != a.Type {
			continue
		}
		switch a.Type {
		case model.AttrInts:
			p.Count += a.Count
			p.Ints = append(p.Ints, a.Ints[:min(len(a.Ints), maxAttrValues-len(p.Ints))]...)
		case model.AttrFloats:
			p.Count += a.Count
			p.Floats = append(p.Floats, a.Floats[:min(len(a.Floats), maxAttrValues-len(p.Floats))]...)
		case model.AttrStrings:
			p.Count++
			if len(p.Strings) < maxAttrValues {
				p.Strings = append(p.Strings, a.Strings...)
			}
		default:
			*p = a
			return attrs
		}
		p.Truncated = p.Count > int64(len(p.Ints)+len(p.Floats)+len(p.Strings))
		return attrs
	}
	if a.Type == model.AttrStrings {
		a.Count = 1
	}
	return append(attrs, a)
}
