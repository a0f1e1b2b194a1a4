package gguf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ValueType is the type tag of a GGUF metadata value.
type ValueType uint32

// GGUF metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"}

// String returns the GGUF spelling of the type ("UINT32", "ARRAY").
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("TYPE(%d)", uint32(t))
}

// fixedSize returns the encoded size of a scalar of type t, 0 for strings
// and arrays, and -1 for unknown types.
func (t ValueType) fixedSize() int64 {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	case TypeString, TypeArray:
		return 0
	}
	return -1
}

// minSize is the smallest number of bytes a value of type t takes in a file.
func (t ValueType) minSize() int64 {
	switch t {
	case TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return t.fixedSize()
}

// Value is one decoded metadata value. Exactly the fields matching Type are
// set: Uint for unsigned integers, Int for signed ones, Float for floats,
// Bool, Str for strings, and ElemType/Len/Items for arrays.
type Value struct {
	Type  ValueType
	Uint  uint64
	Int   int64
	Float float64
	Bool  bool
	// Str holds a string value, cut at MaxStringKeep bytes; StrLen is the
	// full length in the file.
	Str    string
	StrLen uint64
	// ElemType and Len describe an array; Items holds at most the first
	// ArrayKeep elements (or the window asked of ReadArray).
	ElemType ValueType
	Len      uint64
	Items    []Value
	// ItemsFrom is the index of Items[0] within the array.
	ItemsFrom uint64
}

// Truncated reports whether the value was cut: a string longer than what
// was kept, or an array with more elements than Items.
func (v *Value) Truncated() bool {
	switch v.Type {
	case TypeString:
		return uint64(len(v.Str)) < v.StrLen
	case TypeArray:
		return v.ItemsFrom > 0 || uint64(len(v.Items)) < v.Len
	}
	return false
}

// AsInt returns an integer value as int64 (false for non-integers and
// unsigned values above the int64 range).
func (v *Value) AsInt() (int64, bool) {
	switch v.Type {
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		if v.Uint > math.MaxInt64 {
			return 0, false
		}
		return int64(v.Uint), true
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64:
		return v.Int, true
	}
	return 0, false
}

// displayString is the most characters of one string Render shows.
const displayString = 4096

// Render formats the value as text for the model panel: numbers as
// numbers, strings as they are (cut at 4 KiB with the full length noted),
// arrays as a bracketed list of their first items and the element count.
func (v *Value) Render() string {
	var b strings.Builder
	v.render(&b, false)
	return b.String()
}

func (v *Value) render(b *strings.Builder, quote bool) {
	switch v.Type {
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		b.WriteString(strconv.FormatUint(v.Uint, 10))
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case TypeFloat32:
		b.WriteString(strconv.FormatFloat(v.Float, 'g', -1, 32))
	case TypeFloat64:
		b.WriteString(strconv.FormatFloat(v.Float, 'g', -1, 64))
	case TypeBool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case TypeString:
		s := v.Str
		cut := false
		if len(s) > displayString {
			s, cut = s[:displayString], true
		}
		if quote {
			b.WriteString(strconv.Quote(s))
		} else {
			b.WriteString(s)
		}
		if cut || v.Truncated() {
			fmt.Fprintf(b, "… (%d bytes)", v.StrLen)
		}
	case TypeArray:
		b.WriteByte('[')
		if v.ItemsFrom > 0 {
			b.WriteString("…, ")
		}
		for i := range v.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			v.Items[i].render(b, true)
		}
		if v.Truncated() {
			if len(v.Items) > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "…] (%d %s items)", v.Len, v.ElemType)
			return
		}
		b.WriteByte(']')
	default:
		fmt.Fprintf(b, "<%s>", v.Type)
	}
}
