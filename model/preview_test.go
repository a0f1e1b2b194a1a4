package model

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The expected values below come from the format definitions: the largest
// finite values (448 for E4M3FN, 240 for E4M3FNUZ, 57344 for E5M2 and
// E5M2FNUZ, 65504 for IEEE half), the smallest subnormals, and the NaN
// and infinity patterns.
func TestScalarConversions(t *testing.T) {
	cases := []struct {
		dtype DType
		bits  uint64
		want  float64
	}{
		{"float16", 0x3c00, 1}, {"float16", 0x7bff, 65504}, {"float16", 0x0001, math.Ldexp(1, -24)},
		{"float16", 0xc000, -2}, {"float16", 0x7c00, math.Inf(1)}, {"float16", 0xfc00, math.Inf(-1)}, {"float16", 0x7e00, math.NaN()},
		{"bfloat16", 0x3f80, 1}, {"bfloat16", 0xc040, -3}, {"bfloat16", 0x7f80, math.Inf(1)},
		{"float8_e4m3fn", 0x7e, 448}, {"float8_e4m3fn", 0x38, 1}, {"float8_e4m3fn", 0x01, math.Ldexp(1, -9)},
		{"float8_e4m3fn", 0x7f, math.NaN()}, {"float8_e4m3fn", 0xff, math.NaN()}, {"float8_e4m3fn", 0xb8, -1},
		{"float8_e4m3fnuz", 0x7f, 240}, {"float8_e4m3fnuz", 0x40, 1}, {"float8_e4m3fnuz", 0x80, math.NaN()}, {"float8_e4m3fnuz", 0x01, math.Ldexp(1, -10)},
		{"float8_e5m2", 0x7b, 57344}, {"float8_e5m2", 0x3c, 1}, {"float8_e5m2", 0x7c, math.Inf(1)}, {"float8_e5m2", 0x7d, math.NaN()}, {"float8_e5m2", 0x01, math.Ldexp(1, -16)},
		{"float8_e5m2fnuz", 0x7f, 57344}, {"float8_e5m2fnuz", 0x40, 1}, {"float8_e5m2fnuz", 0x80, math.NaN()}, {"float8_e5m2fnuz", 0x01, math.Ldexp(1, -17)},
		{"float8_e8m0fnu", 127, 1}, {"float8_e8m0fnu", 130, 8}, {"float8_e8m0fnu", 0, math.Ldexp(1, -127)}, {"float8_e8m0fnu", 0xff, math.NaN()},
		{"float4_e2m1", 0x7, 6}, {"float4_e2m1", 0x1, 0.5}, {"float4_e2m1", 0x2, 1}, {"float4_e2m1", 0x5, 3}, {"float4_e2m1", 0xa, -1},
		{"int4", 0xf, -1}, {"int4", 0x8, -8}, {"int4", 0x7, 7}, {"uint4", 0xf, 15},
		{"int8", 0x80, -128}, {"int16", 0xfffe, -2}, {"int32", 0xffffffff, -1}, {"uint32", 0xffffffff, 4294967295},
		{"bool", 1, 1}, {"float32", uint64(math.Float32bits(-0.25)), -0.25}, {"float64", math.Float64bits(1e300), 1e300},
	}
	for _, c := range cases {
		conv, _, _, ok := scalarConv(c.dtype)
		if !ok {
			t.Fatalf("%s: no conversion", c.dtype)
		}
		got := conv(c.bits)
		if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("%s %#x = %v, want %v", c.dtype, c.bits, got, c.want)
		}
	}
}

func writeData(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPreviewEncodings(t *testing.T) {
	be := make([]byte, 12)
	for i, v := range []int32{-7, 0, 1 << 30} {
		binary.BigEndian.PutUint32(be[4*i:], uint32(v))
	}
	packed := []byte{}
	for _, v := range []float32{1, 2.5, -4} {
		packed = binary.LittleEndian.AppendUint32(packed, math.Float32bits(v))
	}
	varints := []byte{}
	for _, v := range []int64{-3, 300, 0} {
		varints = binary.AppendUvarint(varints, uint64(v))
	}
	halfBits := []byte{}
	for _, v := range []uint64{0x3c00, 0xc000} {
		halfBits = binary.AppendUvarint(halfBits, v)
	}
	cases := []struct {
		name  string
		dtype DType
		shape []int64
		enc   Encoding
		data  []byte
		want  []float64
	}{
		{"int32 big-endian", "int32", []int64{3}, EncRawBigEndian, be, []float64{-7, 0, 1 << 30}},
		{"packed float", "float32", []int64{3}, EncPackedFloat32, packed, []float64{1, 2.5, -4}},
		{"varint int64", "int64", []int64{3}, EncVarint, varints, []float64{-3, 300, 0}},
		{"float16 bits in int32_data", "float16", []int64{2}, EncVarint, halfBits, []float64{1, -2}},
		{"int4 raw", "int4", []int64{3}, EncRaw, []byte{0xf1, 0x07}, []float64{1, -1, 7}},
		{"complex64", "complex64", []int64{1}, EncRaw, packed[:8], []float64{1, 2.5}},
		{"bool", "bool", []int64{2, 2}, EncRaw, []byte{1, 0, 0, 1}, []float64{1, 0, 0, 1}},
	}
	for _, c := range cases {
		tn := &Tensor{Name: c.name, DType: c.dtype, Shape: c.shape, Location: &Location{File: writeData(t, c.data), Length: int64(len(c.data)), Encoding: c.enc}}
		p, err := ReadPreview(tn, 100)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(p.Values) != len(c.want) {
			t.Fatalf("%s: values %v, want %v", c.name, p.Values, c.want)
		}
		for i := range c.want {
			if p.Values[i] != c.want[i] {
				t.Fatalf("%s: values %v, want %v", c.name, p.Values, c.want)
			}
		}
		if p.Sampled {
			t.Errorf("%s: sampled", c.name)
		}
	}
}

// TestPreviewBudget previews a 64 MiB tensor: it reads only the budget.
func TestPreviewBudget(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(math.NaN()))), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tn := &Tensor{Name: "w", DType: "float32", Shape: []int64{size / 4}, Location: &Location{File: p, Length: size, Encoding: EncRaw}}
	pv, err := ReadPreview(tn, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if !pv.Sampled || len(pv.Values) != maxPreviewValues || pv.Count != size/4 || pv.Min != 0 || pv.Max != 0 {
		t.Fatalf("sampled %v, %d values, count %d, min %v max %v", pv.Sampled, len(pv.Values), pv.Count, pv.Min, pv.Max)
	}
	b, err := json.Marshal(pv)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(strings.SplitN(string(b), `"values":`, 2)[1], `["NaN",0,`) {
		t.Fatalf("JSON %.200s", b)
	}
}

func TestPreviewRefuses(t *testing.T) {
	path := writeData(t, []byte{1, 2, 3, 4})
	for name, tn := range map[string]*Tensor{
		"nil location":  {Name: "a", DType: "float32", Shape: []int64{1}},
		"missing":       {Name: "b", DType: "float32", Shape: []int64{1}, Location: &Location{File: path, Length: 4, Encoding: EncRaw, Missing: true}},
		"opaque":        {Name: "c", DType: "float32", Shape: []int64{1}, Location: &Location{File: path, Length: 4, Encoding: EncOpaque}},
		"string":        {Name: "d", DType: "string", Shape: []int64{1}, Location: &Location{File: path, Length: 4, Encoding: EncRaw}},
		"block quant":   {Name: "e", DType: "q4_k", Shape: []int64{256}, Location: &Location{File: path, Length: 4, Encoding: EncRaw}},
		"past the file": {Name: "f", DType: "float32", Shape: []int64{4}, Location: &Location{File: path, Length: 16, Encoding: EncRaw}},
		"bad shape":     {Name: "g", DType: "float32", Shape: []int64{-1}, Location: &Location{File: path, Length: 4, Encoding: EncRaw}},
	} {
		if _, err := ReadPreview(tn, 10); err == nil {
			t.Errorf("%s: previewed", name)
		}
	}
}

// FuzzPreviewDecode feeds arbitrary bytes to every dtype and encoding.
func FuzzPreviewDecode(f *testing.F) {
	f.Add([]byte{0x3c, 0x00, 0xff, 0x80, 0x7f}, uint8(0), uint8(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, uint8(3), uint8(4))
	dtypes := []DType{"bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "bfloat16",
		"float32", "float64", "complex64", "complex128", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz",
		"float8_e8m0fnu", "int4", "uint4", "int2", "uint2", "float4_e2m1", "string", "q4_k"}
	encs := []Encoding{EncRaw, EncRawBigEndian, EncVarint, EncPackedFloat32, EncPackedFloat64, EncOpaque}
	f.Fuzz(func(t *testing.T, data []byte, dt, enc uint8) {
		dec, ok := newElemDecoder(dtypes[int(dt)%len(dtypes)], encs[int(enc)%len(encs)])
		if !ok {
			return
		}
		n := 0
		dec.each(data, func(float64) bool { n++; return n < 1<<20 })
		if n > 8*len(data)+1 {
			t.Fatalf("%d values from %d bytes", n, len(data))
		}
	})
}
