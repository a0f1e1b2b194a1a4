package mnn

import (
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// fieldKind is how a parameter field is read and shown.
type fieldKind int

const (
	kI32 fieldKind = iota
	kF32
	kBool
	kInts
	kFloats
	kDType   // DataType (int)
	kEnum8   // a byte enum named by names
	kEnum32  // an int enum named by names
	kCommon  // Convolution2D.common: its fields inline
	kStrings // a vector of strings
)

// field is one parameter field shown as a node attribute.
type field struct {
	slot  int
	name  string
	kind  fieldKind
	def   int64
	names map[int32]string
}

var convCommonFields = []field{
	{0, "padX", kI32, 0, nil}, {1, "padY", kI32, 0, nil}, {2, "kernelX", kI32, 1, nil}, {3, "kernelY", kI32, 1, nil},
	{4, "strideX", kI32, 1, nil}, {5, "strideY", kI32, 1, nil}, {6, "dilateX", kI32, 1, nil}, {7, "dilateY", kI32, 1, nil},
	{8, "padMode", kEnum8, 0, padModeNames}, {9, "group", kI32, 1, nil}, {10, "outputCount", kI32, 0, nil},
	{11, "inputCount", kI32, 0, nil}, {12, "relu", kBool, 0, nil}, {13, "relu6", kBool, 0, nil}, {14, "pads", kInts, 0, nil},
}

// paramFields are the fields shown for common OpParameter members, by
// union type byte.
var paramFields = map[uint8][]field{
	4:  {{0, "axis", kI32, 0, nil}},
	6:  {{0, "opType", kEnum32, 0, binaryOpNames}, {1, "T", kDType, dtFloat, nil}, {2, "activationType", kI32, 0, nil}},
	7:  {{0, "dims", kInts, 0, nil}, {1, "dataFormat", kEnum8, 0, dataFormatNames}, {2, "dataType", kDType, dtFloat, nil}},
	8:  {{0, "srcT", kDType, 0, nil}, {1, "dstT", kDType, 0, nil}},
	9:  {{convCommon, "common", kCommon, 0, nil}},
	14: {{0, "type", kEnum8, 0, eltwiseNames}, {1, "coeff", kFloats, 0, nil}},
	20: {{0, "outputCount", kI32, 0, nil}, {1, "biasTerm", kI32, 0, nil}, {2, "weightSize", kI32, 0, nil}, {5, "axis", kI32, 0, nil}, {6, "transpose", kBool, 0, nil}},
	21: {{0, "dims", kInts, 0, nil}, {1, "dtype", kDType, dtFloat, nil}, {2, "dformat", kEnum8, 2, dataFormatNames}},
	22: {{0, "widthScale", kF32, 0, nil}, {1, "heightScale", kF32, 0, nil}, {2, "outputWidth", kI32, 0, nil}, {3, "outputHeight", kI32, 0, nil}, {4, "resizeType", kI32, 0, nil}, {5, "alignCorners", kBool, 0, nil}},
	28: {{0, "dataType", kDType, 0, nil}, {1, "axis", kI32, 0, nil}},
	29: {{0, "dims", kInts, 0, nil}},
	31: {{0, "padX", kI32, 0, nil}, {1, "padY", kI32, 0, nil}, {2, "isGlobal", kBool, 0, nil}, {3, "kernelX", kI32, 0, nil},
		{4, "kernelY", kI32, 0, nil}, {5, "strideX", kI32, 0, nil}, {6, "strideY", kI32, 0, nil}, {7, "type", kEnum8, 0, poolTypeNames},
		{8, "padType", kEnum8, 0, padModeNames}, {10, "ceilModel", kBool, 1, nil}, {11, "pads", kInts, 0, nil}},
	50: {{0, "operation", kEnum8, 0, reductionNames}, {1, "dim", kInts, 0, nil}, {2, "coeff", kF32, 0, nil}, {3, "keepDims", kBool, 0, nil}},
	51: {{0, "slope", kF32, 0, nil}},
	55: {{0, "dims", kInts, 0, nil}, {1, "dimType", kEnum8, 0, dataFormatNames}},
	58: {{0, "channels", kI32, 0, nil}},
	64: {{0, "squeezeDims", kInts, 0, nil}},
	70: {{0, "opType", kEnum32, 0, unaryOpNames}, {1, "T", kDType, 0, nil}},
	85: {{2, "aliases_outputs", kStrings, 0, nil}},
}

// paramAttrs decodes the known fields of an op's parameter table.
func (d *decoder) paramAttrs(ptype uint8, pt flatbuf.Table) []model.Attribute {
	var attrs []model.Attribute
	for _, f := range paramFields[ptype] {
		if f.kind == kCommon {
			if ct, ok := d.Sub(pt, f.slot); ok {
				attrs = append(attrs, d.fields(ct, convCommonFields)...)
			}
			continue
		}
		attrs = append(attrs, d.fields(pt, []field{f})...)
	}
	return attrs
}

func (d *decoder) fields(t flatbuf.Table, fs []field) []model.Attribute {
	var attrs []model.Attribute
	for _, f := range fs {
		a := model.Attribute{Name: f.name}
		switch f.kind {
		case kI32:
			a.Type, a.Int = model.AttrInt, int64(d.Int32(t, f.slot, int32(f.def)))
		case kF32:
			a.Type, a.Float = model.AttrFloat, float64(d.Float32(t, f.slot, 0))
		case kBool:
			a.Type, a.Int = model.AttrBool, int64(d.Uint8(t, f.slot, uint8(f.def)))
		case kDType:
			a.Type, a.String = model.AttrString, dtypeOf(d.Int32(t, f.slot, int32(f.def)))
		case kEnum8:
			a.Type, a.String = model.AttrString, enumName(f.names, int32(int8(d.Uint8(t, f.slot, uint8(f.def)))))
		case kEnum32:
			a.Type, a.String = model.AttrString, enumName(f.names, d.Int32(t, f.slot, int32(f.def)))
		case kInts:
			v, n, ok := d.Int32s(t, f.slot, maxAttrInts)
			if !ok {
				continue
			}
			a.Type, a.Ints = model.AttrInts, v
			if int64(len(v)) < n {
				a.Truncated, a.Count = true, n
			}
		case kFloats:
			start, n := d.Vector(t, f.slot, 4)
			if start == 0 {
				continue
			}
			a.Type = model.AttrFloats
			for i := int64(0); i < min(n, maxAttrInts); i++ {
				a.Floats = append(a.Floats, float64(d.F32At(start+4*i)))
			}
			a.Truncated, a.Count = n > maxAttrInts, n
		case kStrings:
			if !d.Has(t, f.slot) {
				continue
			}
			a.Type, a.Strings = model.AttrStrings, d.strings(t, f.slot)
		}
		if !a.Truncated {
			a.Count = 0
		}
		attrs = append(attrs, a)
	}
	return attrs
}

func enumName(names map[int32]string, v int32) string {
	if s, ok := names[v]; ok {
		return s
	}
	return "UNKNOWN_" + itoa(int64(v))
}
