package ggml

// The types below complete the set whose statistics the corpus checks:
// q2_k, q3_k, q5_k and iq4_nl, with ggml's dequantize_row formulas
// evaluated in float32 in ggml's order.
func init() {
	blocks["q2_k"] = Block{256, 84, q2k}
	blocks["q3_k"] = Block{256, 110, q3k}
	blocks["q5_k"] = Block{256, 176, q5k}
	blocks["iq4_nl"] = Block{32, 18, iq4nl}
}

// q2k: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin.
func q2k(b []byte, y []float32) {
	scales, qs := b[:16], b[16:80]
	d, dmin := f16(b[80:]), f16(b[82:])
	is, k := 0, 0
	for n := 0; n < 256; n += 128 {
		q := qs[n/4:]
		for shift := uint(0); shift < 8; shift += 2 {
			for h := 0; h < 2; h++ {
				sc := scales[is]
				is++
				dl, ml := d*float32(sc&0xf), dmin*float32(sc>>4)
				for l := range 16 {
					y[k] = dl*float32(q[l+16*h]>>shift&3) - ml
					k++
				}
			}
		}
	}
}

// q3k: hmask[32], qs[64], scales[12] (sixteen 6-bit scales), d.
func q3k(b []byte, y []float32) {
	hm, qs, d := b[:32], b[32:96], f16(b[108:])
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

// q3Scales unpacks q3_k's sixteen 6-bit scales: low nibbles from bytes
// 0-7, high bit pairs from bytes 8-11.
func q3Scales(s []byte) [16]int8 {
	var out [16]int8
	for i := range 16 {
		low := s[i%8] >> (4 * uint(i/8)) & 0xf
		high := s[8+i%4] >> (2 * uint(i/4)) & 3
		out[i] = int8(low | high<<4)
	}
	return out
}

// q5k: d, dmin, scales[12], qh[32], qs[128].
func q5k(b []byte, y []float32) {
	d, dmin, scales, qh, ql := f16(b), f16(b[2:]), b[4:16], b[16:48], b[48:176]
	u1, u2 := byte(1), byte(2)
	for is, o := 0, 0; o < 256; is, o = is+2, o+64 {
		sc1, m1 := scaleMin4(is, scales)
		sc2, m2 := scaleMin4(is+1, scales)
		d1, min1 := d*float32(sc1), dmin*float32(m1)
		d2, min2 := d*float32(sc2), dmin*float32(m2)
		for l := range 32 {
			v1, v2 := ql[l]&0xf, ql[l]>>4
			if qh[l]&u1 != 0 {
				v1 += 16
			}
			if qh[l]&u2 != 0 {
				v2 += 16
			}
			y[o+l] = d1*float32(v1) - min1
			y[o+32+l] = d2*float32(v2) - min2
		}
		ql, u1, u2 = ql[32:], u1<<2, u2<<2
	}
}

// iq4nlValues is the non-linear 4-bit code book of iq4_nl.
var iq4nlValues = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

func iq4nl(b []byte, y []float32) {
	d, qs := f16(b), b[2:18]
	for j := range 16 {
		y[j] = d * float32(iq4nlValues[qs[j]&0xf])
		y[j+16] = d * float32(iq4nlValues[qs[j]>>4])
	}
}
