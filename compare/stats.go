package compare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/modelpeek/modelpeek/model"
)

// stats accumulates the comparison of two value streams.
type stats struct {
	n, differ, nonFinite int64
	maxAbs, sumAbs       float64
	dot, sqA, sqB, sqD   float64
}

// add compares one pair of values. NaN against NaN and equal infinities
// count as equal; other non-finite pairs are counted apart.
func (s *stats) add(x, y float64) {
	s.n++
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		if !(x == y || math.IsNaN(x) && math.IsNaN(y)) {
			s.nonFinite++
			s.differ++
		}
		return
	}
	d := math.Abs(x - y)
	if d != 0 {
		s.differ++
	}
	s.maxAbs = max(s.maxAbs, d)
	s.sumAbs += d
	s.dot += x * y
	s.sqA += x * x
	s.sqB += y * y
	s.sqD += d * d
}

// fill writes the statistics into a change.
func (s *stats) fill(w *WeightChange) {
	ptr := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil // JSON has no spelling for it
		}
		return &v
	}
	w.MaxAbsDiff = ptr(s.maxAbs)
	w.MeanAbsDiff = ptr(0)
	if s.n > s.nonFinite {
		w.MeanAbsDiff = ptr(s.sumAbs / float64(s.n-s.nonFinite))
	}
	if s.sqA > 0 && s.sqB > 0 {
		w.Cosine = ptr(s.dot / math.Sqrt(s.sqA*s.sqB))
	} else if s.sqA == 0 && s.sqB == 0 {
		w.Cosine = ptr(1)
	}
	if s.sqA > 0 {
		w.RelL2 = ptr(math.Sqrt(s.sqD / s.sqA))
	}
	if s.nonFinite > 0 {
		w.Note = fmt.Sprintf("%d positions differ in NaN or infinity (left out of the statistics)", s.nonFinite)
	}
}

// cursor yields a tensor's values, dequantised when the tensor carries
// affine parameters.
type cursor struct {
	r     source
	buf   []float64
	i     int64 // index of the next value in the tensor
	deq   func(i int64, v float64) float64
	ended bool
}

// openCursor opens t for streaming.
func openCursor(t *model.Tensor) (*cursor, error) {
	if k, ok := ggmlBlocks(t); ok {
		r, err := newBlockReader(t, k)
		if err != nil {
			return nil, err
		}
		return &cursor{r: r}, nil
	}
	r, err := model.NewValueReader(t)
	if err != nil {
		return nil, err
	}
	deq, err := dequantizer(t)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &cursor{r: r, deq: deq}, nil
}

// take returns up to n values, or none at the end.
func (c *cursor) take(n int) ([]float64, error) {
	if len(c.buf) == 0 && !c.ended {
		vs, err := c.r.Next()
		if errors.Is(err, io.EOF) {
			c.ended = true
		} else if err != nil {
			return nil, err
		}
		c.buf = vs
	}
	k := min(n, len(c.buf))
	out := c.buf[:k]
	c.buf = c.buf[k:]
	if c.deq != nil {
		for j := range out {
			out[j] = c.deq(c.i+int64(j), out[j])
		}
	}
	c.i += int64(k)
	return out, nil
}

// dequantizer returns how to map stored integers to real values, nil for
// tensors without affine parameters (or float tensors, whose parameters
// are informational).
func dequantizer(t *model.Tensor) (func(int64, float64) float64, error) {
	q := t.Quant
	if q == nil || len(q.Scale) == 0 || isFloat(t.DType) {
		return nil, nil
	}
	zp := func(c int) float64 {
		if c < len(q.ZeroPoint) {
			return float64(q.ZeroPoint[c])
		}
		return 0
	}
	if len(q.Scale) == 1 {
		s, z := q.Scale[0], zp(0)
		return func(_ int64, v float64) float64 { return (v - z) * s }, nil
	}
	ax := int(q.Axis)
	if ax < 0 || ax >= len(t.Shape) || t.Shape[ax] != int64(len(q.Scale)) {
		return nil, fmt.Errorf("%d scales do not fit axis %d of shape %v", len(q.Scale), q.Axis, t.Shape)
	}
	inner, _ := model.NumElements(t.Shape[ax+1:])
	inner = max(inner, 1)
	dim := t.Shape[ax]
	return func(i int64, v float64) float64 {
		c := int((i / inner) % dim)
		return (v - zp(c)) * q.Scale[c]
	}, nil
}

func isFloat(d model.DType) bool {
	switch d {
	case "float16", "bfloat16", "float32", "float64":
		return true
	}
	return false
}

// chunkValues is how many values are compared at a time.
const chunkValues = 1 << 16

// compareValues streams both tensors side by side.
func compareValues(ctx context.Context, a, b *model.Tensor) (*stats, error) {
	ca, err := openCursor(a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name, err)
	}
	defer ca.r.Close()
	cb, err := openCursor(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name, err)
	}
	defer cb.r.Close()
	if ca.r.Count() != cb.r.Count() {
		return nil, fmt.Errorf("element counts differ (%d and %d)", ca.r.Count(), cb.r.Count())
	}
	s := &stats{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		va, err := ca.take(chunkValues)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		if len(va) == 0 {
			return s, nil
		}
		if err := drain(cb, va, s, b.Name); err != nil {
			return nil, err
		}
	}
}

// drain pairs the values va with as many values from cb.
func drain(cb *cursor, va []float64, s *stats, name string) error {
	for len(va) > 0 {
		vb, err := cb.take(len(va))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(vb) == 0 {
			return fmt.Errorf("%s: the values end early", name)
		}
		for k := range vb {
			s.add(va[k], vb[k])
		}
		va = va[len(vb):]
	}
	return nil
}

// sameBytes compares the stored bytes of two tensors chunk by chunk.
func sameBytes(ctx context.Context, a, b *model.Location) (bool, error) {
	if a.Length != b.Length {
		return false, nil
	}
	fa, err := os.Open(a.File)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b.File)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	ra := io.NewSectionReader(fa, a.Offset, a.Length)
	rb := io.NewSectionReader(fb, b.Offset, b.Length)
	ba, bb := make([]byte, 256<<10), make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		na, ea := io.ReadFull(ra, ba)
		nb, eb := io.ReadFull(rb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea != nil || eb != nil {
			if ea == io.EOF || ea == io.ErrUnexpectedEOF {
				return true, nil
			}
			return false, errors.Join(ea, eb)
		}
	}
}
