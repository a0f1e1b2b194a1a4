package model

import (
	"encoding/binary"
)

// ggmlBlock describes one ggml block-quantized type: bytes per block,
// values per block, and how to dequantize one block into float32 values
// (ggml's dequantize_row formulas, evaluated in float32 as ggml does).
type ggmlBlock struct {
	bytes, values int
	dequant       func(b []byte, out []float32)
}

// ggmlBlocks maps the GGUF decoder's dtype names to their block layouts.
var ggmlBlocks = map[DType]ggmlBlock{
	"q4_0":   {18, 32, deqQ4_0},
	"q4_1":   {20, 32, deqQ4_1},
	"q5_0":   {22, 32, deqQ5_0},
	"q5_1":   {24, 32, deqQ5_1},
	"q8_0":   {34, 32, deqQ8_0},
	"q2_k":   {84, 256, deqQ2K},
	"q3_k":   {110, 256, deqQ3K},
	"q4_k":   {144, 256, deqQ4K},
	"q5_k":   {176, 256, deqQ5K},
	"q6_k":   {210, 256, deqQ6K},
	"iq4_nl": {18, 32, deqIQ4NL},
}

// decoder adapts the block dequantization to a valueSource.
func (g ggmlBlock) decoder() func(b []byte, first int64, out []float64) []float64 {
	return func(b []byte, _ int64, out []float64) []float64 {
		blk := make([]float32, g.values)
		for ; len(b) >= g.bytes; b = b[g.bytes:] {
			g.dequant(b[:g.bytes], blk)
			for _, v := range blk {
				out = append(out, float64(v))
			}
		}
		return out
	}
}

var f16 = minifloat(5, 10, 15, ieee)

func half(b []byte) float32 { return float32(f16(uint64(binary.LittleEndian.Uint16(b)))) }

func deqQ4_0(b []byte, y []float32) {
	d, qs := half(b), b[2:18]
	for j := range 16 {
		y[j] = float32(int(qs[j]&0xf)-8) * d
		y[j+16] = float32(int(qs[j]>>4)-8) * d
	}
}

func deqQ4_1(b []byte, y []float32) {
	d, m, qs := half(b), half(b[2:]), b[4:20]
	for j := range 16 {
		y[j] = float32(qs[j]&0xf)*d + m
		y[j+16] = float32(qs[j]>>4)*d + m
	}
}

func deqQ5_0(b []byte, y []float32) {
	d, qh, qs := half(b), binary.LittleEndian.Uint32(b[2:]), b[6:22]
	for j := range 16 {
		h0 := byte((qh>>j)<<4) & 0x10
		h1 := byte(qh>>(j+12)) & 0x10
		y[j] = float32(int(qs[j]&0xf|h0)-16) * d
		y[j+16] = float32(int(qs[j]>>4|h1)-16) * d
	}
}

func deqQ5_1(b []byte, y []float32) {
	d, m, qh, qs := half(b), half(b[2:]), binary.LittleEndian.Uint32(b[4:]), b[8:24]
	for j := range 16 {
		h0 := byte((qh>>j)<<4) & 0x10
		h1 := byte(qh>>(j+12)) & 0x10
		y[j] = float32(qs[j]&0xf|h0)*d + m
		y[j+16] = float32(qs[j]>>4|h1)*d + m
	}
}

func deqQ8_0(b []byte, y []float32) {
	d := half(b)
	for j := range 32 {
		y[j] = float32(int8(b[2+j])) * d
	}
}

var iq4nlValues = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

func deqIQ4NL(b []byte, y []float32) {
	d, qs := half(b), b[2:18]
	for j := range 16 {
		y[j] = d * float32(iq4nlValues[qs[j]&0xf])
		y[j+16] = d * float32(iq4nlValues[qs[j]>>4])
	}
}

// deqQ2K: scales[16], qs[64], d, dmin.
func deqQ2K(b []byte, y []float32) {
	scales, qs := b[:16], b[16:80]
	d, dmin := half(b[80:]), half(b[82:])
	is, k := 0, 0
	for n := 0; n < 256; n += 128 {
		q := qs[n/4:]
		for shift := uint(0); shift < 8; shift += 2 {
			for half := 0; half < 2; half++ {
				sc := scales[is]
				is++
				dl, ml := d*float32(sc&0xf), dmin*float32(sc>>4)
				for l := range 16 {
					y[k] = dl*float32(q[l+16*half]>>shift&3) - ml
					k++
				}
			}
		}
	}
}

// deqQ3K: hmask[32], qs[64], scales[12], d.
func deqQ3K(b []byte, y []float32) {
	hm, qs, d := b[:32], b[32:96], half(b[108:])
	sc := q3Scales(b[96:108])
	is, k := 0, 0
	m := byte(1)
	for n := 0; n < 256; n += 128 {
		q := qs[n/4:]
		for shift := uint(0); shift < 8; shift += 2 {
			for h := 0; h < 2; h++ {
				dl := d * float32(int(sc[is])-32)
				is++
				for l := range 16 {
					v := int(q[l+16*h] >> shift & 3)
					if hm[l+16*h]&m == 0 {
						v -= 4
					}
					y[k] = dl * float32(v)
					k++
				}
			}
			m <<= 1
		}
	}
}

// q3Scales unpacks Q3_K's sixteen 6-bit scales from 12 bytes.
func q3Scales(s []byte) [16]int8 {
	var out [16]int8
	for i := range 16 {
		low := s[i%8] >> (4 * uint(i/8)) & 0xf
		high := s[8+i%4] >> (2 * uint(i/4)) & 3
		out[i] = int8(low | high<<4)
	}
	return out
}

// scaleMinK4 returns the j-th 6-bit scale and min of Q4_K/Q5_K.
func scaleMinK4(j int, q []byte) (float32, float32) {
	if j < 4 {
		return float32(q[j] & 63), float32(q[j+4] & 63)
	}
	return float32(q[j+4]&0xf | (q[j-4]>>6)<<4), float32(q[j+4]>>4 | (q[j]>>6)<<4)
}

// deqQ4K: d, dmin, scales[12], qs[128].
func deqQ4K(b []byte, y []float32) {
	d, dmin, scales, q := half(b), half(b[2:]), b[4:16], b[16:144]
	k := 0
	for is := 0; is < 8; is += 2 {
		s1, m1 := scaleMinK4(is, scales)
		s2, m2 := scaleMinK4(is+1, scales)
		d1, o1, d2, o2 := d*s1, dmin*m1, d*s2, dmin*m2
		for l := range 32 {
			y[k+l] = d1*float32(q[l]&0xf) - o1
			y[k+32+l] = d2*float32(q[l]>>4) - o2
		}
		q, k = q[32:], k+64
	}
}

// deqQ5K: d, dmin, scales[12], qh[32], qs[128].
func deqQ5K(b []byte, y []float32) {
	d, dmin, scales, qh, ql := half(b), half(b[2:]), b[4:16], b[16:48], b[48:176]
	k := 0
	u1, u2 := byte(1), byte(2)
	for is := 0; is < 8; is += 2 {
		s1, m1 := scaleMinK4(is, scales)
		s2, m2 := scaleMinK4(is+1, scales)
		d1, o1, d2, o2 := d*s1, dmin*m1, d*s2, dmin*m2
		for l := range 32 {
			v1, v2 := ql[l]&0xf, ql[l]>>4
			if qh[l]&u1 != 0 {
				v1 += 16
			}
			if qh[l]&u2 != 0 {
				v2 += 16
			}
			y[k+l] = d1*float32(v1) - o1
			y[k+32+l] = d2*float32(v2) - o2
		}
		ql, k = ql[32:], k+64
		u1, u2 = u1<<2, u2<<2
	}
}

// deqQ6K: ql[128], qh[64], scales[16] (int8), d.
func deqQ6K(b []byte, y []float32) {
	ql, qh, sc, d := b[:128], b[128:192], b[192:208], half(b[208:])
	for n := 0; n < 2; n++ {
		l0, h0, s0, y0 := ql[64*n:], qh[32*n:], sc[8*n:], y[128*n:]
		for l := range 32 {
			is := l / 16
			q1 := int(l0[l]&0xf|(h0[l]>>0&3)<<4) - 32
			q2 := int(l0[l+32]&0xf|(h0[l]>>2&3)<<4) - 32
			q3 := int(l0[l]>>4|(h0[l]>>4&3)<<4) - 32
			q4 := int(l0[l+32]>>4|(h0[l]>>6&3)<<4) - 32
			y0[l] = d * float32(int8(s0[is])) * float32(q1)
			y0[l+32] = d * float32(int8(s0[is+2])) * float32(q2)
			y0[l+64] = d * float32(int8(s0[is+4])) * float32(q3)
			y0[l+96] = d * float32(int8(s0[is+6])) * float32(q4)
		}
	}
}
