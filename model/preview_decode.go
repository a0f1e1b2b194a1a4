package model

import (
	"encoding/binary"
	"math"
)

// elemDecoder turns the bytes of a tensor's data into numbers.
type elemDecoder struct {
	enc   Encoding
	width int                    // bytes per raw element (0 for sub-byte types)
	bits  int                    // bits per sub-byte element
	conv  func(u uint64) float64 // element bits to number
	order binary.ByteOrder
}

// newElemDecoder returns the decoder for a dtype stored in an encoding,
// and false when that combination cannot be previewed.
func newElemDecoder(t DType, enc Encoding) (elemDecoder, bool) {
	d := elemDecoder{enc: enc, order: binary.LittleEndian}
	conv, width, bits, ok := scalarConv(t)
	if !ok {
		return d, false
	}
	d.conv, d.width, d.bits = conv, width, bits
	switch enc {
	case EncRaw:
	case EncRawBigEndian:
		if bits != 0 {
			return d, false
		}
		d.order = binary.BigEndian
	case EncPackedFloat32:
		if t != "float32" && t != "complex64" {
			return d, false
		}
		d.width, d.conv = 4, convFloat32
	case EncPackedFloat64:
		if t != "float64" && t != "complex128" {
			return d, false
		}
		d.width, d.conv = 8, math.Float64frombits
	case EncVarint:
		if t == "complex64" || t == "complex128" || t == "float32" || t == "float64" {
			return d, false
		}
	default:
		return d, false
	}
	return d, true
}

// each calls fn for each element in b until fn returns false. A partial
// element at the end of b is ignored.
func (d elemDecoder) each(b []byte, fn func(float64) bool) {
	switch {
	case d.enc == EncVarint:
		for len(b) > 0 {
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return
			}
			b = b[n:]
			if d.bits != 0 {
				if !d.subByte(byte(v), fn) {
					return
				}
				continue
			}
			if !fn(d.conv(v)) {
				return
			}
		}
	case d.bits != 0:
		for _, c := range b {
			if !d.subByte(c, fn) {
				return
			}
		}
	default:
		w := d.width
		for i := 0; i+w <= len(b); i += w {
			var u uint64
			switch w {
			case 1:
				u = uint64(b[i])
			case 2:
				u = uint64(d.order.Uint16(b[i:]))
			case 4:
				u = uint64(d.order.Uint32(b[i:]))
			case 8:
				u = d.order.Uint64(b[i:])
			}
			if !fn(d.conv(u)) {
				return
			}
		}
	}
}

// subByte emits the elements packed in one byte, lowest bits first.
func (d elemDecoder) subByte(c byte, fn func(float64) bool) bool {
	mask := byte(1)<<d.bits - 1
	for s := 0; s < 8; s += d.bits {
		if !fn(d.conv(uint64(c >> s & mask))) {
			return false
		}
	}
	return true
}

// scalarConv returns how to turn one element's bits into a number, the
// element's byte width, or its bit width for sub-byte types.
func scalarConv(t DType) (conv func(uint64) float64, width, bits int, ok bool) {
	switch t {
	case "bool", "uint8":
		return convUint(8), 1, 0, true
	case "int8":
		return convInt(8), 1, 0, true
	case "uint16":
		return convUint(16), 2, 0, true
	case "int16":
		return convInt(16), 2, 0, true
	case "uint32":
		return convUint(32), 4, 0, true
	case "int32":
		return convInt(32), 4, 0, true
	case "uint64":
		return convUint(64), 8, 0, true
	case "int64":
		return convInt(64), 8, 0, true
	case "float16":
		return minifloat(5, 10, 15, ieee), 2, 0, true
	case "bfloat16":
		return func(u uint64) float64 { return float64(math.Float32frombits(uint32(u) << 16)) }, 2, 0, true
	case "float32", "complex64":
		return convFloat32, 4, 0, true
	case "float64", "complex128":
		return math.Float64frombits, 8, 0, true
	case "float8_e4m3fn":
		return minifloat(4, 3, 7, fnNaN), 1, 0, true
	case "float8_e4m3fnuz":
		return minifloat(4, 3, 8, uzNaN), 1, 0, true
	case "float8_e5m2":
		return minifloat(5, 2, 15, ieee), 1, 0, true
	case "float8_e5m2fnuz":
		return minifloat(5, 2, 16, uzNaN), 1, 0, true
	case "float8_e8m0fnu":
		return func(u uint64) float64 {
			if u&0xff == 0xff {
				return math.NaN()
			}
			return math.Ldexp(1, int(u&0xff)-127)
		}, 1, 0, true
	case "uint4":
		return convUint(4), 0, 4, true
	case "int4":
		return convInt(4), 0, 4, true
	case "uint2":
		return convUint(2), 0, 2, true
	case "int2":
		return convInt(2), 0, 2, true
	case "float4_e2m1":
		return minifloat(2, 1, 1, noSpecial), 0, 4, true
	}
	return nil, 0, 0, false
}

func convFloat32(u uint64) float64 { return float64(math.Float32frombits(uint32(u))) }

func convUint(bits uint) func(uint64) float64 {
	mask := uint64(1)<<bits - 1
	if bits == 64 {
		mask = math.MaxUint64
	}
	return func(u uint64) float64 { return float64(u & mask) }
}

func convInt(bits uint) func(uint64) float64 {
	shift := 64 - bits
	return func(u uint64) float64 { return float64(int64(u<<shift) >> shift) }
}

// Special-value conventions of small float formats.
type floatSpecials int

const (
	ieee      floatSpecials = iota // all-ones exponent: Inf (mantissa 0) or NaN
	fnNaN                          // no Inf; only all-ones exponent and mantissa is NaN
	uzNaN                          // no Inf, no -0: the pattern of -0 is NaN
	noSpecial                      // every pattern is a number
)

// minifloat returns a decoder for a float format with the given exponent
// and mantissa widths, exponent bias and special values.
func minifloat(expBits, manBits uint, bias int, sp floatSpecials) func(uint64) float64 {
	expMask := uint64(1)<<expBits - 1
	manMask := uint64(1)<<manBits - 1
	signBit := uint64(1) << (expBits + manBits)
	return func(u uint64) float64 {
		u &= signBit<<1 - 1
		sign := 1.0
		if u&signBit != 0 {
			sign = -1
		}
		e := (u >> manBits) & expMask
		m := u & manMask
		switch sp {
		case ieee:
			if e == expMask {
				if m == 0 {
					return math.Inf(int(sign))
				}
				return math.NaN()
			}
		case fnNaN:
			if e == expMask && m == manMask {
				return math.NaN()
			}
		case uzNaN:
			if u == signBit {
				return math.NaN()
			}
		}
		if e == 0 {
			return sign * math.Ldexp(float64(m), 1-bias-int(manBits))
		}
		return sign * math.Ldexp(float64(m|(manMask+1)), int(e)-bias-int(manBits))
	}
}
