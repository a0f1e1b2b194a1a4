package onnx

import (
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// field is one decoded protobuf field. For length-delimited fields only the
// position of the content is recorded: off and n, absolute in the file.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64 // value of varint, fixed32 and fixed64 fields
	off int64  // start of the content of a bytes field
	n   int64  // length of the content of a bytes field
}

// end returns the offset just past the content of a bytes field.
func (f field) end() int64 { return f.off + f.n }

// errMalformed describes protobuf data that does not parse.
var errMalformed = errors.New("the file is damaged: its protobuf structure does not parse")

// each calls fn for every field of the message stored in [off, end).
func (d *decoder) each(off, end int64, fn func(f field) error) error {
	for off < end {
		hdr, err := d.src.bytes(off, min(end-off, 20))
		if err != nil {
			return err
		}
		num, typ, tn := protowire.ConsumeTag(hdr)
		if tn < 0 {
			return fmt.Errorf("%w (bad field tag at offset %d)", errMalformed, off)
		}
		f := field{num: num, typ: typ}
		p := hdr[tn:]
		var vn int
		switch typ {
		case protowire.VarintType:
			f.v, vn = protowire.ConsumeVarint(p)
		case protowire.Fixed32Type:
			var v uint32
			v, vn = protowire.ConsumeFixed32(p)
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, vn = protowire.ConsumeFixed64(p)
		case protowire.BytesType:
			var l uint64
			l, vn = protowire.ConsumeVarint(p)
			if vn >= 0 {
				f.off = off + int64(tn) + int64(vn)
				if l > uint64(end-f.off) {
					return fmt.Errorf("%w: field %d at offset %d claims %d bytes, past the end of its message", errTruncated, num, off, l)
				}
				f.n = int64(l)
				vn += int(l)
			}
		default:
			return fmt.Errorf("%w (unsupported wire type %d at offset %d)", errMalformed, typ, off)
		}
		if vn < 0 {
			return fmt.Errorf("%w (bad value of field %d at offset %d)", errMalformed, num, off)
		}
		off += int64(tn) + int64(vn)
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// maxString bounds names and other strings that are kept in full.
const maxString = 1 << 20

// maxDoc bounds doc strings; longer ones are cut.
const maxDoc = 64 << 10

// str returns the content of a bytes field as a string.
func (d *decoder) str(f field) (string, error) {
	if f.typ != protowire.BytesType {
		return "", fmt.Errorf("%w (field %d should be a string)", errMalformed, f.num)
	}
	if f.n > maxString {
		return "", fmt.Errorf("a name or string of %d bytes is longer than the %d bytes allowed", f.n, maxString)
	}
	if err := d.charge(costString + int(f.n)); err != nil {
		return "", err
	}
	if i := f.off - d.strBase; i >= 0 && f.n <= int64(len(d.strBuf))-i && d.strBuf != "" {
		return d.strBuf[i : i+f.n], nil
	}
	b, err := d.src.bytes(f.off, f.n)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// istr is str for strings that repeat: op types, domains, attribute
// names, symbolic dimensions.
func (d *decoder) istr(f field) (string, error) {
	if f.typ != protowire.BytesType {
		return "", fmt.Errorf("%w (field %d should be a string)", errMalformed, f.num)
	}
	if f.n > maxString {
		return "", fmt.Errorf("a name or string of %d bytes is longer than the %d bytes allowed", f.n, maxString)
	}
	if err := d.charge(costString); err != nil {
		return "", err
	}
	b, err := d.src.bytes(f.off, f.n)
	if err != nil {
		return "", err
	}
	return d.intern(b), nil
}

// doc returns a doc string, cut to maxDoc bytes.
func (d *decoder) doc(f field) (string, error) {
	if f.typ != protowire.BytesType {
		return "", fmt.Errorf("%w (field %d should be a string)", errMalformed, f.num)
	}
	n := min(f.n, maxDoc)
	b, err := d.src.bytes(f.off, n)
	if err != nil {
		return "", err
	}
	if n < f.n {
		// Cut at the start of a character, not inside one.
		for len(b) > 0 && !utf8.RuneStart(b[len(b)-1]) {
			b = b[:len(b)-1]
		}
		if len(b) > 0 {
			b = b[:len(b)-1]
		}
		return string(b) + "…", nil
	}
	return string(b), nil
}

// int64s decodes a repeated int64 field occurrence (packed or not), keeping
// at most keep values, and returns how many values it holds in total.
func (d *decoder) int64s(f field, keep int, dst *[]int64) (int64, error) {
	switch f.typ {
	case protowire.VarintType:
		if len(*dst) < keep {
			*dst = append(*dst, int64(f.v))
		}
		return 1, nil
	case protowire.BytesType:
		var count int64
		const chunk = 4096
		for off, end := f.off, f.end(); off < end; {
			b, err := d.src.bytes(off, min(end-off, chunk))
			if err != nil {
				return 0, err
			}
			i := 0
			for i < len(b) {
				v, n := protowire.ConsumeVarint(b[i:])
				if n < 0 {
					if off+int64(len(b)) < end {
						break // varint split by the chunk: reread from here
					}
					return 0, fmt.Errorf("%w (bad packed integer list)", errMalformed)
				}
				if len(*dst) < keep {
					*dst = append(*dst, int64(v))
				}
				count++
				i += n
			}
			if i == 0 {
				return 0, fmt.Errorf("%w (bad packed integer list)", errMalformed)
			}
			off += int64(i)
		}
		return count, nil
	}
	return 0, fmt.Errorf("%w (field %d should be a list of integers)", errMalformed, f.num)
}

// float32s decodes a repeated float field occurrence (packed or not).
func (d *decoder) float32s(f field, keep int, dst *[]float64) (int64, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		if len(*dst) < keep {
			*dst = append(*dst, float64(math.Float32frombits(uint32(f.v))))
		}
		return 1, nil
	case protowire.BytesType:
		if f.n%4 != 0 {
			return 0, fmt.Errorf("%w (packed float list of %d bytes)", errMalformed, f.n)
		}
		count := f.n / 4
		take := min(count, int64(max(keep-len(*dst), 0)))
		if take > 0 {
			b, err := d.src.bytes(f.off, take*4)
			if err != nil {
				return 0, err
			}
			for i := int64(0); i < take; i++ {
				u := uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
				*dst = append(*dst, float64(math.Float32frombits(u)))
			}
		}
		return count, nil
	}
	return 0, fmt.Errorf("%w (field %d should be a list of floats)", errMalformed, f.num)
}

// want checks a field's wire type.
func want(f field, typ protowire.Type, what string) error {
	if f.typ != typ {
		return fmt.Errorf("%w (%s has the wrong wire type)", errMalformed, what)
	}
	return nil
}
