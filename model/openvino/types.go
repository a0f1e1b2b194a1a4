package openvino

import (
	"math"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxRank bounds the dimensions read from one shape.
const maxRank = 64

// elementTypes maps OpenVINO element types (data@element_type) to numpy
// spellings.
var elementTypes = map[string]model.DType{
	"f64": "float64", "f32": "float32", "f16": "float16", "bf16": "bfloat16",
	"f8e4m3": "float8_e4m3fn", "f8e5m2": "float8_e5m2", "f8e8m0": "float8_e8m0fnu",
	"i64": "int64", "i32": "int32", "i16": "int16", "i8": "int8", "i4": "int4",
	"u64": "uint64", "u32": "uint32", "u16": "uint16", "u8": "uint8", "u4": "uint4", "u2": "uint2", "u1": "uint1",
	"boolean": "bool", "string": "string", "nf4": "nf4", "f4e2m1": "float4_e2m1fn",
}

// precisions maps port and legacy layer precisions (FP32, I64, ...).
var precisions = map[string]model.DType{
	"FP64": "float64", "FP32": "float32", "FP16": "float16", "BF16": "bfloat16",
	"I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "I4": "int4",
	"U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8", "U4": "uint4", "U1": "uint1",
	"BOOL": "bool", "BOOLEAN": "bool", "BIN": "uint1", "STRING": "string",
}

// elementType converts data@element_type; unknown spellings are kept.
func elementType(s string) model.DType {
	if d, ok := elementTypes[strings.ToLower(s)]; ok {
		return d
	}
	return model.DType(strings.ToLower(s))
}

// precision converts a port or layer precision; unknown spellings are
// kept in lower case.
func precision(s string) model.DType {
	if d, ok := precisions[strings.ToUpper(s)]; ok {
		return d
	}
	return model.DType(strings.ToLower(s))
}

// partialShape parses data@shape: "1,3,224,224"; "?" or "-1" for an
// unknown dim; a range "1..10" kept as a symbolic dim; "" a scalar. A
// shape of "..." (dynamic rank) is nil.
func partialShape(s string) model.Shape {
	s = strings.TrimSpace(s)
	if s == "" {
		return model.Shape{}
	}
	if s == "..." {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxRank {
		return nil
	}
	out := make(model.Shape, 0, len(parts))
	for _, p := range parts {
		out = append(out, dim(strings.TrimSpace(p)))
	}
	return out
}

// dim parses one dimension.
func dim(p string) model.Dim {
	if n, err := strconv.ParseInt(p, 10, 64); err == nil {
		if n < 0 {
			return model.Dim{}
		}
		return model.IntDim(n)
	}
	if p == "?" || p == "" {
		return model.Dim{}
	}
	return model.Dim{Param: p}
}

// portShape reads the <dim> children of a port.
func portShape(port *elem) model.Shape {
	out := model.Shape{}
	for _, d := range port.children("dim") {
		if len(out) == maxRank {
			break
		}
		out = append(out, dim(string(d.text)))
	}
	return out
}

// staticShape converts a Const's data@shape into sizes; false when a dim
// is not a non-negative integer.
func staticShape(s string) ([]int64, bool) {
	ps := partialShape(s)
	if ps == nil {
		return nil, false
	}
	out := []int64{}
	for _, d := range ps {
		if !d.Known {
			return nil, false
		}
		out = append(out, d.Size)
	}
	return out, true
}

// dataAttrs types the attributes of a layer's <data>: integers, integer
// lists, floats, booleans, else strings.
func dataAttrs(data *elem) []model.Attribute {
	if data == nil {
		return nil
	}
	out := make([]model.Attribute, 0, len(data.attrs))
	for _, a := range data.attrs {
		out = append(out, typedAttr(a.Name.Local, a.Value))
	}
	return out
}

func typedAttr(name, v string) model.Attribute {
	a := model.Attribute{Name: name, Type: model.AttrString, String: v}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return model.Attribute{Name: name, Type: model.AttrInt, Int: n}
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return model.Attribute{Name: name, Type: model.AttrFloat, Float: f}
	}
	if v == "true" || v == "false" {
		a = model.Attribute{Name: name, Type: model.AttrBool}
		if v == "true" {
			a.Int = 1
		}
		return a
	}
	if strings.Contains(v, ",") && len(v) < 4096 {
		var ints []int64
		for _, p := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return a
			}
			ints = append(ints, n)
		}
		return model.Attribute{Name: name, Type: model.AttrInts, Ints: ints}
	}
	if len(v) > 4096 {
		a.String = v[:4096] + "…"
	}
	return a
}
