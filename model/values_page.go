package model

import (
	"context"
	"fmt"
)

// MaxValuesPage is the most values ReadValues returns at once.
const MaxValuesPage = 4096

// ReadValues returns up to count values of t starting at element offset,
// dequantized as ReadStats does (affine scale and zero point, ggml
// blocks). Fixed-width and block data are read from the offset directly;
// other encodings (varints) are streamed from the start, within ctx. An
// offset past the end is an error.
func ReadValues(ctx context.Context, t *Tensor, offset, count int64) ([]float64, error) {
	src, err := newValueSource(t)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > src.count {
		return nil, fmt.Errorf("offset %d is outside the tensor's %d values", offset, src.count)
	}
	count = max(0, min(count, MaxValuesPage, src.count-offset))
	skip := src.seek(offset)
	out := make([]float64, 0, count)
	_, err = src.each(ctx, skip+count, func(vs []float64) {
		if skip >= int64(len(vs)) {
			skip -= int64(len(vs))
			return
		}
		out = append(out, vs[skip:]...)
		skip = 0
	})
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if int64(len(out)) < count {
		return out, fmt.Errorf("tensor %q: reading from value %d took too long", t.Name, offset)
	}
	return out, nil
}

// seek moves the source to start as near element offset as its encoding
// allows (whole ggml blocks, whole fixed-width elements) and returns how
// many values are left to skip from there.
func (s *valueSource) seek(offset int64) int64 {
	loc := *s.t.Location
	var from, bytes int64
	switch {
	case s.ggml:
		blocks := offset / int64(s.block.Values)
		from, bytes = blocks*int64(s.block.Values), blocks*int64(s.block.Bytes)
	case loc.Encoding == EncRaw || loc.Encoding == EncRawBigEndian || loc.Encoding == EncPackedFloat32 || loc.Encoding == EncPackedFloat64:
		size, ok := DTypeSize(s.t.DType)
		if !ok || s.t.DType == "complex64" || s.t.DType == "complex128" {
			return offset
		}
		from, bytes = offset, offset*int64(size)
	default:
		return offset
	}
	if bytes <= 0 || bytes > loc.Length {
		return offset
	}
	loc.Offset += bytes
	loc.Length -= bytes
	c := *s.t
	c.Location = &loc
	c.Shape = []int64{s.count - from}
	s.t, s.base, s.count = &c, from, s.count-from
	return offset - from
}

// StreamValues calls fn with every value of t, dequantized like ReadStats,
// a run at a time (valid until fn returns), until ctx ends or fn fails; it
// returns how many values it delivered.
func StreamValues(ctx context.Context, t *Tensor, fn func([]float64) error) (int64, error) {
	src, err := newValueSource(t)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	n, err := src.each(ctx, src.count, func(vs []float64) {
		if err := fn(vs); err != nil {
			cancel(err)
		}
	})
	if err == nil {
		err = context.Cause(ctx)
	}
	if err == nil && n < src.count {
		err = fmt.Errorf("tensor %q: %d of %d values delivered", t.Name, n, src.count)
	}
	return n, err
}
