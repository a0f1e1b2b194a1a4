// Package ggml dequantises ggml's block-quantised tensor data (the GGUF
// types q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q6_k) to float32, one block at
// a time, so callers can stream tensors of any size.
package ggml

import (
	"encoding/binary"
	"math"
)

// Block describes one quantised type: values per block, bytes per block,
// and the function that expands one block.
type Block struct {
	Values int
	Bytes  int
	decode func(b []byte, dst []float32)
}

var blocks = map[string]Block{
	"q4_0": {32, 18, q40},
	"q4_1": {32, 20, q41},
	"q5_0": {32, 22, q50},
	"q5_1": {32, 24, q51},
	"q8_0": {32, 34, q80},
	"q4_k": {256, 144, q4k},
	"q6_k": {256, 210, q6k},
}

// Lookup returns the block layout of a type by its lower-case GGUF name,
// and false for types without a dequantiser here.
func Lookup(name string) (Block, bool) {
	b, ok := blocks[name]
	return b, ok
}

// Decode expands one block (len(b) == Bytes) into dst (len(dst) ==
// Values).
func (k Block) Decode(b []byte, dst []float32) { k.decode(b[:k.Bytes], dst[:k.Values]) }

func f16(b []byte) float32 {
	u := binary.LittleEndian.Uint16(b)
	sign := float32(1)
	if u&0x8000 != 0 {
		sign = -1
	}
	e, m := int(u>>10&0x1f), float64(u&0x3ff)
	switch e {
	case 0:
		return sign * float32(math.Ldexp(m, -24))
	case 31:
		if m == 0 {
			return sign * float32(math.Inf(1))
		}
		return float32(math.NaN())
	}
	return sign * float32(math.Ldexp(1+m/1024, e-15))
}

func q40(b []byte, y []float32) {
	d, qs := f16(b), b[2:18]
	for j := range 16 {
		y[j] = float32(int(qs[j]&0xf)-8) * d
		y[j+16] = float32(int(qs[j]>>4)-8) * d
	}
}

func q41(b []byte, y []float32) {
	d, m, qs := f16(b), f16(b[2:]), b[4:20]
	for j := range 16 {
		y[j] = float32(qs[j]&0xf)*d + m
		y[j+16] = float32(qs[j]>>4)*d + m
	}
}

func q50(b []byte, y []float32) {
	d, qh, qs := f16(b), binary.LittleEndian.Uint32(b[2:]), b[6:22]
	for j := range 16 {
		h0 := byte(qh>>j<<4) & 0x10
		h1 := byte(qh>>(j+12)) & 0x10
		y[j] = float32(int(qs[j]&0xf|h0)-16) * d
		y[j+16] = float32(int(qs[j]>>4|h1)-16) * d
	}
}

func q51(b []byte, y []float32) {
	d, m, qh, qs := f16(b), f16(b[2:]), binary.LittleEndian.Uint32(b[4:]), b[8:24]
	for j := range 16 {
		h0 := byte(qh>>j<<4) & 0x10
		h1 := byte(qh>>(j+12)) & 0x10
		y[j] = float32(qs[j]&0xf|h0)*d + m
		y[j+16] = float32(qs[j]>>4|h1)*d + m
	}
}

func q80(b []byte, y []float32) {
	d := f16(b)
	for j := range 32 {
		y[j] = float32(int8(b[2+j])) * d
	}
}

// scaleMin4 unpacks the j-th 6-bit scale and minimum of a q4_k block.
func scaleMin4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | q[j-4]>>6<<4, q[j+4]>>4 | q[j]>>6<<4
}

func q4k(b []byte, y []float32) {
	d, dmin, scales, q := f16(b), f16(b[2:]), b[4:16], b[16:144]
	for is, o := 0, 0; o < 256; is, o = is+2, o+64 {
		sc1, m1 := scaleMin4(is, scales)
		sc2, m2 := scaleMin4(is+1, scales)
		d1, min1 := d*float32(sc1), dmin*float32(m1)
		d2, min2 := d*float32(sc2), dmin*float32(m2)
		for l := range 32 {
			y[o+l] = d1*float32(q[l]&0xf) - min1
			y[o+32+l] = d2*float32(q[l]>>4) - min2
		}
		q = q[32:]
	}
}

func q6k(b []byte, y []float32) {
	ql, qh, sc, d := b[0:128], b[128:192], b[192:208], f16(b[208:])
	for o := 0; o < 256; o += 128 {
		for l := range 32 {
			is := l / 16
			q1 := int(ql[l]&0xf|(qh[l]&3)<<4) - 32
			q2 := int(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
			q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
			q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
			y[o+l] = d * float32(int8(sc[is])) * float32(q1)
			y[o+l+32] = d * float32(int8(sc[is+2])) * float32(q2)
			y[o+l+64] = d * float32(int8(sc[is+4])) * float32(q3)
			y[o+l+96] = d * float32(int8(sc[is+6])) * float32(q4)
		}
		ql, qh, sc = ql[64:], qh[32:], sc[8:]
	}
}
