package model

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// MarshalJSON encodes a known dimension as a number, a symbolic one as a
// string, and an unknown one as null.
func (d Dim) MarshalJSON() ([]byte, error) {
	switch {
	case d.Known:
		return strconv.AppendInt(nil, d.Size, 10), nil
	case d.Param != "":
		return json.Marshal(d.Param)
	default:
		return []byte("null"), nil
	}
}

// UnmarshalJSON is the inverse of MarshalJSON.
func (d *Dim) UnmarshalJSON(b []byte) error {
	*d = Dim{}
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &d.Param)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("dimension %s: %w", b, err)
	}
	d.Size, d.Known = n, true
	return nil
}

// String renders a dimension as text: "3", "batch" or "?".
func (d Dim) String() string {
	switch {
	case d.Known:
		return strconv.FormatInt(d.Size, 10)
	case d.Param != "":
		return d.Param
	default:
		return "?"
	}
}

// String renders a shape as "[1,3,224,224]", or "?" for unknown rank.
func (s Shape) String() string {
	if s == nil {
		return "?"
	}
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d.String()...)
	}
	return string(append(b, ']'))
}

// ShapeOf converts known integer dimensions to a Shape.
func ShapeOf(dims []int64) Shape {
	s := make(Shape, len(dims))
	for i, d := range dims {
		s[i] = IntDim(d)
	}
	return s
}

// DTypeSize returns the byte size of one element of a fixed-width dtype, and
// false for dtypes without one (strings, sub-byte and block-quantised types).
func DTypeSize(t DType) (int, bool) {
	switch t {
	case "bool", "int8", "uint8", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu":
		return 1, true
	case "int16", "uint16", "float16", "bfloat16":
		return 2, true
	case "int32", "uint32", "float32":
		return 4, true
	case "int64", "uint64", "float64", "complex64":
		return 8, true
	case "complex128":
		return 16, true
	}
	return 0, false
}
