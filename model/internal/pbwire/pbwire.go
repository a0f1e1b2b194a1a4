// Package pbwire walks protobuf wire-format messages held in memory, with
// every length checked, for the decoders of protobuf-based formats
// (TensorFlow, Caffe, Core ML, PaddlePaddle, ...). It decodes by field
// number from the formats' official .proto files, lazily: a decoder visits
// only the fields it needs, and a weight blob is a sub-slice, never a copy.
//
// It is written here rather than generated with protoc-gen-go because the
// generated code decodes whole messages eagerly (every weight copied into
// memory) and needs a schema per format version.
package pbwire

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrMalformed is wrapped by every error about bytes that do not parse.
var ErrMalformed = errors.New("the protobuf structure does not parse")

// Field is one field of a message. Bytes fields (strings, sub-messages,
// packed repeated scalars) keep their content as a sub-slice of the message.
type Field struct {
	Num  protowire.Number
	Type protowire.Type
	// Varint holds the value of varint, fixed32 and fixed64 fields.
	Varint uint64
	// Bytes is the content of a bytes field.
	Bytes []byte
	// Off is the offset of the field's content within the outermost
	// message given to Walk (for locating weights in a file).
	Off int64
}

// Walk calls fn for every field of msg, in stored order, and stops at the
// first error fn returns. base is msg's offset in its file; Field.Off is
// relative to that file. Groups (deprecated) are skipped.
func Walk(msg []byte, base int64, fn func(f Field) error) error {
	off := 0
	for off < len(msg) {
		num, typ, n := protowire.ConsumeTag(msg[off:])
		if n < 0 {
			return fmt.Errorf("%w: bad field tag at offset %d", ErrMalformed, base+int64(off))
		}
		f := Field{Num: num, Type: typ}
		start := off + n
		m := protowire.ConsumeFieldValue(num, typ, msg[start:])
		if m < 0 {
			return fmt.Errorf("%w: field %d at offset %d: %v", ErrMalformed, num, base+int64(off), protowire.ParseError(m))
		}
		switch typ {
		case protowire.VarintType:
			f.Varint, _ = protowire.ConsumeVarint(msg[start:])
		case protowire.Fixed32Type:
			v, _ := protowire.ConsumeFixed32(msg[start:])
			f.Varint = uint64(v)
		case protowire.Fixed64Type:
			f.Varint, _ = protowire.ConsumeFixed64(msg[start:])
		case protowire.BytesType:
			b, ln := protowire.ConsumeBytes(msg[start:])
			f.Bytes = b
			f.Off = base + int64(start+ln-len(b))
		}
		if typ != protowire.StartGroupType {
			if err := fn(f); err != nil {
				return err
			}
		}
		off = start + m
	}
	return nil
}

// Int returns a varint field as a signed int64 (int32/int64 fields; int32
// negatives are stored sign-extended to 64 bits).
func (f Field) Int() int64 { return int64(f.Varint) }

// Sint returns a zigzag-encoded (sint32/sint64) field.
func (f Field) Sint() int64 { return protowire.DecodeZigZag(f.Varint) }

// Bool returns a bool field.
func (f Field) Bool() bool { return f.Varint != 0 }

// Float32 returns a float (fixed32) field.
func (f Field) Float32() float32 { return math.Float32frombits(uint32(f.Varint)) }

// Float64 returns a double (fixed64) field.
func (f Field) Float64() float64 { return math.Float64frombits(f.Varint) }

// String returns a string field, with invalid UTF-8 replaced so that a
// hostile name cannot break JSON or a terminal.
func (f Field) String() string {
	if utf8.Valid(f.Bytes) {
		return string(f.Bytes)
	}
	return string([]rune(string(f.Bytes)))
}

// Ints appends the values of a repeated int32/int64/uint field, packed or
// not, to dst; at most max values are kept (the rest are counted in the
// returned total), so a hostile field cannot allocate without bound.
func (f Field) Ints(dst []int64, max int) ([]int64, int, error) {
	if f.Type == protowire.VarintType {
		if len(dst) < max {
			dst = append(dst, f.Int())
		}
		return dst, 1, nil
	}
	if f.Type != protowire.BytesType {
		return dst, 0, fmt.Errorf("%w: field %d is not a repeated integer", ErrMalformed, f.Num)
	}
	total := 0
	for b := f.Bytes; len(b) > 0; total++ {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, total, fmt.Errorf("%w: packed field %d", ErrMalformed, f.Num)
		}
		if len(dst) < max {
			dst = append(dst, int64(v))
		}
		b = b[n:]
	}
	return dst, total, nil
}

// Floats appends the values of a repeated float field, packed or not, to
// dst, keeping at most max values; it returns the total count.
func (f Field) Floats(dst []float64, max int) ([]float64, int, error) {
	switch f.Type {
	case protowire.Fixed32Type:
		if len(dst) < max {
			dst = append(dst, float64(f.Float32()))
		}
		return dst, 1, nil
	case protowire.BytesType:
		if len(f.Bytes)%4 != 0 {
			return dst, 0, fmt.Errorf("%w: packed float field %d has %d bytes", ErrMalformed, f.Num, len(f.Bytes))
		}
		total := len(f.Bytes) / 4
		for i := 0; i < total && len(dst) < max; i++ {
			dst = append(dst, float64(math.Float32frombits(le32(f.Bytes[4*i:]))))
		}
		return dst, total, nil
	}
	return dst, 0, fmt.Errorf("%w: field %d is not a repeated float", ErrMalformed, f.Num)
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// Depth guards recursion into nested messages: decoders pass a Depth down
// and call Enter before descending, so hostile nesting becomes an error,
// not a stack overflow.
type Depth int

// MaxDepth is the nesting a decoder accepts; real models nest a few dozen
// levels at most (TensorFlow function attributes, Core ML pipelines).
const MaxDepth Depth = 100

// Enter returns the depth one level down, or an error past MaxDepth.
func (d Depth) Enter() (Depth, error) {
	if d >= MaxDepth {
		return d, fmt.Errorf("%w: messages nest more than %d levels deep", ErrMalformed, MaxDepth)
	}
	return d + 1, nil
}
