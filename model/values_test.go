package model

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// readAll streams every value of t.
func readAll(t *testing.T, tn *Tensor) ([]float64, error) {
	t.Helper()
	r, err := NewValueReader(tn)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []float64
	for {
		vs, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, vs...)
	}
}

// TestValueReaderChunks: values spanning several chunks, raw and varint
// (whose elements straddle chunk borders), come back whole and in order;
// data shorter than the shape is an error.
func TestValueReaderChunks(t *testing.T) {
	const n = 3*valueChunk/4 + 7 // raw float32: three chunks and a bit
	var raw, varint, i16 []byte
	for i := range n {
		i16 = binary.LittleEndian.AppendUint16(i16, uint16(int16(i%30000-15000)))
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(i)))
		varint = binary.AppendUvarint(varint, uint64(i*37))
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		data  []byte
		dtype DType
		enc   Encoding
		want  func(i int) float64
	}{
		{"raw", raw, "float32", EncRaw, func(i int) float64 { return float64(i) }},
		{"int16", i16, "int16", EncRaw, func(i int) float64 { return float64(i%30000 - 15000) }},
		{"varint", varint, "int64", EncVarint, func(i int) float64 { return float64(i * 37) }},
	} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		tn := &Tensor{Name: c.name, DType: c.dtype, Shape: []int64{n}, Location: &Location{File: p, Length: int64(len(c.data)), Encoding: c.enc}}
		vs, err := readAll(t, tn)
		if err != nil || len(vs) != n {
			t.Fatalf("%s: %d values, %v", c.name, len(vs), err)
		}
		for i, v := range vs {
			if v != c.want(i) {
				t.Fatalf("%s: value %d = %v, want %v", c.name, i, v, c.want(i))
			}
		}
		tn.Shape = []int64{n + 1}
		if _, err := readAll(t, tn); err == nil {
			t.Errorf("%s: data shorter than the shape read without error", c.name)
		}
	}
}
