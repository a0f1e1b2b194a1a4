package model

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestValueReadersRefuseHostileTensors gives ReadValues, ReadChannels and
// StreamValues tensors whose records lie (negative or overflowing
// offsets, data shorter than the shape, shapes that overflow, block data
// cut mid-block): each answers an error, never a panic or a hang (the
// hang bound is 10 s, 10x a read of these few bytes on a loaded machine).
func TestValueReadersRefuseHostileTensors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.bin")
	if err := os.WriteFile(p, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	loc := func(off, n int64, enc Encoding) *Location {
		return &Location{File: p, Offset: off, Length: n, Encoding: enc}
	}
	cases := map[string]*Tensor{
		"negative offset":     {DType: "float32", Shape: []int64{4}, Location: loc(-8, 16, EncRaw)},
		"offset overflows":    {DType: "float32", Shape: []int64{4}, Location: loc(math.MaxInt64-4, 16, EncRaw)},
		"data past the file":  {DType: "float32", Shape: []int64{400}, Location: loc(0, 1600, EncRaw)},
		"shape overflows":     {DType: "float32", Shape: []int64{math.MaxInt64, 4}, Location: loc(0, 100, EncRaw)},
		"negative dimension":  {DType: "float32", Shape: []int64{-1, 4}, Location: loc(0, 100, EncRaw)},
		"fewer bytes":         {DType: "float32", Shape: []int64{2, 100}, Location: loc(0, 100, EncRaw)},
		"block cut":           {DType: "q4_0", Shape: []int64{64, 2}, Location: loc(0, 20, EncOpaque)},
		"block past the file": {DType: "q8_0", Shape: []int64{32, 40}, Location: loc(0, 34*40, EncOpaque)},
		"missing file":        {DType: "float32", Shape: []int64{4}, Location: &Location{File: p + ".gone", Length: 16, Encoding: EncRaw}},
		"no location":         {DType: "float32", Shape: []int64{4}},
		"strings":             {DType: "string", Shape: []int64{4}, Location: loc(0, 16, EncRaw)},
	}
	for name, tn := range cases {
		tn.Name = name
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := ReadValues(ctx, tn, 0, MaxValuesPage); err == nil {
			t.Errorf("%s: ReadValues read", name)
		}
		if _, err := ReadValues(ctx, tn, 150, 10); err == nil {
			t.Errorf("%s: ReadValues at 150 read", name)
		}
		if _, err := StreamValues(ctx, tn, func([]float64) error { return nil }); err == nil {
			t.Errorf("%s: StreamValues read", name)
		}
		if len(tn.Shape) == 2 {
			if _, err := ReadChannels(ctx, tn, tn.Shape, 1, time.Second); err == nil {
				t.Errorf("%s: ReadChannels read", name)
			}
		}
		cancel()
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}
