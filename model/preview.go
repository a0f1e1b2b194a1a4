package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// Preview is a bounded sample of a tensor's values with statistics.
type Preview struct {
	Name  string  `json:"name"`
	DType DType   `json:"dtype"`
	Shape []int64 `json:"shape"`
	// Values holds up to the requested number of leading values, in
	// row-major order, as numbers (booleans as 0/1). Complex numbers are
	// given as real, imaginary pairs.
	Values []float64 `json:"values"`
	// Count is the number of elements in the tensor.
	Count int64 `json:"count"`
	// Min, Max and Mean are over the values read (all of them when the
	// tensor is no larger than the statistics budget; see Sampled). NaN
	// values are left out of them.
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	// Sampled is set when the statistics cover only a prefix.
	Sampled bool `json:"sampled,omitempty"`
}

// ErrNoPreview is returned for tensors whose values cannot be previewed
// (no data, opaque encoding, non-numeric dtype).
var ErrNoPreview = errors.New("no preview for this tensor")

// PreviewBudget is the most bytes ReadPreview reads from a tensor's data.
const PreviewBudget = 1 << 20

// maxPreviewValues bounds the values returned, whatever max asks for.
const maxPreviewValues = 1 << 16

// ReadPreview reads at most max values of t from its Location, and computes
// statistics over a bounded prefix. It never reads more than PreviewBudget
// bytes, whatever the tensor's size.
func ReadPreview(t *Tensor, max int) (*Preview, error) {
	if t == nil || t.Location == nil || t.Location.Missing || t.Location.Encoding == EncOpaque || t.Location.Encoding == "" {
		return nil, ErrNoPreview
	}
	dec, ok := newElemDecoder(t.DType, t.Location.Encoding)
	if !ok {
		return nil, fmt.Errorf("%w: values of type %s stored as %s", ErrNoPreview, t.DType, t.Location.Encoding)
	}
	loc := t.Location
	if loc.Offset < 0 || loc.Length < 0 {
		return nil, fmt.Errorf("tensor %q: bad data location", t.Name)
	}
	n := min(loc.Length, PreviewBudget)
	buf, err := readSpan(loc.File, loc.Offset, n)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	count, ok := NumElements(t.Shape)
	if !ok {
		return nil, fmt.Errorf("tensor %q: shape %v has no valid element count", t.Name, t.Shape)
	}
	p := &Preview{Name: t.Name, DType: t.DType, Shape: t.Shape, Count: count, Values: []float64{}}
	max = min(max, maxPreviewValues)
	// Complex values come as two numbers each.
	limit := count
	if t.DType == "complex64" || t.DType == "complex128" {
		limit = 2 * min(count, math.MaxInt64/2)
	}
	var sum float64
	var seen, stats int64
	p.Min, p.Max = math.Inf(1), math.Inf(-1)
	dec.each(buf, func(v float64) bool {
		if seen >= limit {
			return false
		}
		if len(p.Values) < max {
			p.Values = append(p.Values, v)
		}
		seen++
		if !math.IsNaN(v) {
			stats++
			sum += v
			p.Min, p.Max = math.Min(p.Min, v), math.Max(p.Max, v)
		}
		return true
	})
	if stats == 0 {
		p.Min, p.Max = 0, 0
	} else {
		p.Mean = sum / float64(stats)
	}
	p.Sampled = seen < limit
	return p, nil
}

// readSpan reads n bytes at off of a file, failing when the file is
// shorter than that.
func readSpan(path string, off, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, off)
	if int64(got) < n {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the data ends before its recorded length (%d of %d bytes at offset %d)", got, n, off)
		}
		return nil, err
	}
	return buf, nil
}

// MarshalJSON encodes the preview, spelling non-finite numbers as the
// strings "NaN", "Inf" and "-Inf", which JSON numbers cannot hold.
func (p Preview) MarshalJSON() ([]byte, error) {
	type plain Preview
	vals := make([]any, len(p.Values))
	for i, v := range p.Values {
		vals[i] = JSONNumber(v)
	}
	return json.Marshal(struct {
		plain
		Values []any `json:"values"`
		Min    any   `json:"min"`
		Max    any   `json:"max"`
		Mean   any   `json:"mean"`
	}{plain(p), vals, JSONNumber(p.Min), JSONNumber(p.Max), JSONNumber(p.Mean)})
}
