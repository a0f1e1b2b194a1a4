package model

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchValues is the element count of each benchmark tensor (16 Mi values).
const benchValues = 1 << 24

// benchTensor writes a tensor of n normally distributed values (with a
// few zeros, NaNs and infinities) in dtype (n a multiple of 32), or n
// float32 zeros in a sparse file for "sparse", and returns it.
func benchTensor(tb testing.TB, dtype string, n int) *Tensor {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var data []byte
	t := &Tensor{Name: dtype, DType: DType(dtype), Shape: []int64{int64(n)}}
	enc := EncRaw
	switch dtype {
	case "float32", "float16", "bfloat16":
		for i := range n {
			v := float32(r.NormFloat64() * 0.05)
			switch i % 9973 {
			case 0:
				v = 0
			case 1:
				v = float32(math.Inf(1))
			case 2:
				v = float32(math.NaN())
			}
			data = appendFloat(data, dtype, v)
		}
	case "int8":
		data = make([]byte, n)
		for i := range data {
			data[i] = byte(r.IntN(256))
		}
		t.Quant = &Quantization{Scale: []float64{0.0123}, ZeroPoint: []int64{3}}
	case "q4_0", "q8_0":
		data = benchBlocks(r, dtype, n)
		enc = EncOpaque
	case "sparse": // float32 zeros, the hole of a sparse file
		t.DType = "float32"
		path := filepath.Join(tb.TempDir(), "sparse.bin")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			tb.Fatal(err)
		}
		if err := os.Truncate(path, 4*int64(n)); err != nil {
			tb.Fatal(err)
		}
		t.Location = &Location{File: path, Length: 4 * int64(n), Encoding: EncRaw}
		return t
	default:
		tb.Fatalf("no benchmark tensor of type %s", dtype)
	}
	path := filepath.Join(tb.TempDir(), dtype+".bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	t.Location = &Location{File: path, Length: int64(len(data)), Encoding: enc}
	return t
}

func appendFloat(b []byte, dtype string, v float32) []byte {
	switch dtype {
	case "float16":
		return binary.LittleEndian.AppendUint16(b, f32ToF16(v))
	case "bfloat16":
		return binary.LittleEndian.AppendUint16(b, uint16(math.Float32bits(v)>>16))
	}
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

// f32ToF16 rounds toward zero to IEEE half precision (good enough for
// benchmark data; overflow becomes infinity, NaN stays NaN).
func f32ToF16(v float32) uint16 {
	u := math.Float32bits(v)
	sign := uint16(u>>16) & 0x8000
	e := int(u>>23&0xff) - 127 + 15
	m := u & 0x7fffff
	switch {
	case v != v:
		return 0x7e00
	case e >= 31:
		return sign | 0x7c00
	case e <= 0:
		if e < -10 {
			return sign
		}
		return sign | uint16((m|0x800000)>>(14-e))
	}
	return sign | uint16(e)<<10 | uint16(m>>13)
}

// benchBlocks writes random q4_0 or q8_0 blocks with a sane f16 scale.
func benchBlocks(r *rand.Rand, dtype string, values int) []byte {
	size := 18
	if dtype == "q8_0" {
		size = 34
	}
	n := values / 32
	data := make([]byte, 0, n*size)
	for range n {
		data = binary.LittleEndian.AppendUint16(data, f32ToF16(float32(0.001+0.01*r.Float64())))
		for range size - 2 {
			data = append(data, byte(r.IntN(256)))
		}
	}
	return data
}

// BenchmarkReadStats measures ReadStats against the former two-pass
// implementation (twoPassStats) on the same files, per dtype: MB/s of
// tensor bytes, wall ns per value and CPU ns per value (all threads; the
// fair figure on a shared machine). The files are small enough to stay in
// the page cache, so the figures are decoding and statistics, not the
// disk.
func BenchmarkReadStats(b *testing.B) {
	for _, dtype := range []string{"sparse", "float32", "float16", "bfloat16", "int8", "q4_0", "q8_0"} {
		b.Run(dtype, func(b *testing.B) {
			tn := benchTensor(b, dtype, benchValues)
			b.Run("twopass", func(b *testing.B) {
				benchStats(b, tn, func(t *Tensor) (*Stats, error) { return twoPassStats(context.Background(), t, 48) })
			})
			b.Run("onepass", func(b *testing.B) {
				benchStats(b, tn, func(t *Tensor) (*Stats, error) {
					return ReadStats(context.Background(), t, StatsOptions{Bins: 48})
				})
			})
		})
	}
}

func benchStats(b *testing.B, tn *Tensor, read func(*Tensor) (*Stats, error)) {
	b.SetBytes(tn.Location.Length)
	cpu := cpuTime()
	for b.Loop() {
		if _, err := read(tn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchValues, "ns/value")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N)/benchValues, "cpu-ns/value")
}
