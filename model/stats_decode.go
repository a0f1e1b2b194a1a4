package model

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/modelpeek/modelpeek/model/ggml"
)

// unitDecoder turns whole units of a tensor's bytes (one element, one
// byte of sub-byte elements, one ggml block) into values, with a loop
// specialised per type for the common ones so the hot path makes no call
// per value.
type unitDecoder struct {
	unitBytes, unitVals int64
	// decode appends the values of b (whole units) to dst.
	decode func(dst []float64, b []byte) []float64
	// codes is set for one- and two-byte little-endian elements, whose
	// histogram can be kept per stored code (see codeHist).
	codes bool
}

// newUnitDecoder returns the decoder for src's fixed-layout data, and
// false for encodings that cannot be split at byte offsets (varints).
func newUnitDecoder(src *valueSource) (unitDecoder, bool) {
	if src.ggml {
		return blockDecoder(src.block), true
	}
	t := src.t
	if t.Location.Encoding == EncRaw {
		switch t.DType {
		case "float32":
			return unitDecoder{4, 1, decodeF32, false}, true
		case "float16":
			return unitDecoder{2, 1, decodeF16, true}, true
		case "bfloat16":
			return unitDecoder{2, 1, decodeBF16, true}, true
		case "int8":
			return unitDecoder{1, 1, decodeI8, true}, true
		case "uint8":
			return unitDecoder{1, 1, decodeU8, true}, true
		}
	}
	d, ok := newElemDecoder(t.DType, t.Location.Encoding)
	switch {
	case !ok || d.enc == EncVarint:
		return unitDecoder{}, false
	case d.bits != 0:
		return unitDecoder{1, int64(8 / d.bits), genericDecoder(d), false}, true
	}
	return unitDecoder{int64(d.width), 1, genericDecoder(d), false}, true
}

func genericDecoder(d elemDecoder) func([]float64, []byte) []float64 {
	return func(dst []float64, b []byte) []float64 {
		d.each(b, func(v float64) bool {
			dst = append(dst, v)
			return true
		})
		return dst
	}
}

func blockDecoder(blk ggml.Block) unitDecoder {
	return unitDecoder{unitBytes: int64(blk.Bytes), unitVals: int64(blk.Values), decode: func(dst []float64, b []byte) []float64 {
		out := make([]float32, blk.Values) // per call: workers share the decoder
		for ; len(b) >= blk.Bytes; b = b[blk.Bytes:] {
			blk.Decode(b, out)
			for _, v := range out {
				dst = append(dst, float64(v))
			}
		}
		return dst
	}}
}

// grow extends dst by n values and returns it with the new part.
func grow(dst []float64, n int) (all, added []float64) {
	all = slices.Grow(dst, n)[:len(dst)+n]
	return all, all[len(dst):]
}

func decodeF32(dst []float64, b []byte) []float64 {
	dst, out := grow(dst, len(b)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return dst
}

func decodeBF16(dst []float64, b []byte) []float64 {
	dst, out := grow(dst, len(b)/2)
	for i := range out {
		out[i] = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16))
	}
	return dst
}

func decodeF16(dst []float64, b []byte) []float64 {
	dst, out := grow(dst, len(b)/2)
	for i := range out {
		out[i] = halfToFloat(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return dst
}

// halfToFloat widens an IEEE half-precision pattern (exactly; NaN stays
// NaN).
func halfToFloat(h uint16) float64 {
	sign := uint32(h&0x8000) << 16
	e, m := uint32(h>>10&0x1f), uint32(h&0x3ff)
	switch e {
	case 0x1f:
		return float64(math.Float32frombits(sign | 0x7f800000 | m<<13))
	case 0:
		v := float64(m) * 0x1p-24
		if sign != 0 {
			v = -v
		}
		return v
	}
	return float64(math.Float32frombits(sign | (e+112)<<23 | m<<13))
}

func decodeI8(dst []float64, b []byte) []float64 {
	dst, out := grow(dst, len(b))
	for i, c := range b {
		out[i] = float64(int8(c))
	}
	return dst
}

func decodeU8(dst []float64, b []byte) []float64 {
	dst, out := grow(dst, len(b))
	for i, c := range b {
		out[i] = float64(c)
	}
	return dst
}

// applyDequant applies src's affine dequantization to vs, the values
// starting at element index base: inline for one scale, through the
// per-channel function otherwise.
func applyDequant(src *valueSource, vs []float64, base int64) {
	if src.deq == nil {
		return
	}
	if q := src.t.Quant; len(q.Scale) == 1 {
		sc, z := q.Scale[0], 0.0
		if len(q.ZeroPoint) > 0 {
			z = float64(q.ZeroPoint[0])
		}
		for i, v := range vs {
			vs[i] = (v - z) * sc
		}
		return
	}
	for i, v := range vs {
		vs[i] = src.deq(base+int64(i), v)
	}
}
