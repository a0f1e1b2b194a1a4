package model

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/modelpeek/modelpeek/model/ggml"
)

// valueSource streams a tensor's values, dequantized, a run at a time.
type valueSource struct {
	t     *Tensor
	count int64
	block ggml.Block
	// ggml is set for block-quantized data (dequantized block by block).
	ggml bool
	// deq applies affine quantization parameters, nil for none.
	deq func(i int64, v float64) float64
	// base is the element index of the first value delivered (a source
	// started past the tensor's start, see ReadValues).
	base int64
}

// runReader yields runs of values until io.EOF.
type runReader interface {
	Next() ([]float64, error)
	Close() error
}

// newValueSource picks how t's bytes become values: ggml blocks, or the
// element decoders of ValueReader with affine dequantization.
func newValueSource(t *Tensor) (*valueSource, error) {
	if t == nil || t.Location == nil || t.Location.Missing || t.Location.Encoding == "" {
		return nil, ErrNoPreview
	}
	count, ok := NumElements(t.Shape)
	if !ok {
		return nil, fmt.Errorf("tensor %q: shape %v has no valid element count", t.Name, t.Shape)
	}
	src := &valueSource{t: t, count: count}
	if blk, ok := ggml.Lookup(string(t.DType)); ok && t.Location.Encoding == EncOpaque {
		src.block, src.ggml = blk, true
		return src, nil
	}
	if t.DType == "complex64" || t.DType == "complex128" {
		return nil, fmt.Errorf("%w: statistics of complex values", ErrNoPreview)
	}
	if _, ok := newElemDecoder(t.DType, t.Location.Encoding); !ok || t.Location.Encoding == EncOpaque {
		return nil, fmt.Errorf("%w: values of type %s stored as %s", ErrNoPreview, t.DType, t.Location.Encoding)
	}
	src.deq = newDequantizer(t)
	if q := t.Quant; src.deq == nil && q != nil && len(q.Scale) > 1 && isIntDType(t.DType) {
		return nil, fmt.Errorf("%w: %d scales do not fit axis %d of shape %v", ErrNoPreview, len(q.Scale), q.Axis, t.Shape)
	}
	return src, nil
}

func (s *valueSource) open() (runReader, error) {
	if s.ggml {
		return newBlockReader(s.t, s.block)
	}
	return NewValueReader(s.t)
}

// each calls fn with the first n values, a run at a time, checking ctx
// between runs; it returns how many values it delivered (fewer than n
// when ctx ended).
func (s *valueSource) each(ctx context.Context, n int64, fn func([]float64)) (int64, error) {
	r, err := s.open()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var seen int64
	for seen < n && ctx.Err() == nil {
		vals, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return seen, err
		}
		vals = vals[:min(int64(len(vals)), n-seen)]
		if s.deq != nil {
			for i := range vals {
				vals[i] = s.deq(s.base+seen+int64(i), vals[i])
			}
		}
		fn(vals)
		seen += int64(len(vals))
	}
	if seen < n && ctx.Err() == nil {
		return seen, fmt.Errorf("the data holds %d of %d values", seen, n)
	}
	return seen, nil
}

// blockReader streams ggml block-quantized data, dequantized.
type blockReader struct {
	f          *os.File
	blk        ggml.Block
	off, end   int64
	buf        []byte
	out        []float32
	vals       []float64
	seen, want int64
}

// blocksPerRun is how many blocks a blockReader expands per Next.
const blocksPerRun = 4096

func newBlockReader(t *Tensor, blk ggml.Block) (*blockReader, error) {
	loc := t.Location
	if loc.Offset < 0 || loc.Length < 0 || loc.Offset > 1<<62-loc.Length {
		return nil, fmt.Errorf("tensor %q: bad data location", t.Name)
	}
	f, err := os.Open(loc.File)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	n, _ := NumElements(t.Shape)
	return &blockReader{f: f, blk: blk, off: loc.Offset, end: loc.Offset + loc.Length,
		buf: make([]byte, blocksPerRun*blk.Bytes), out: make([]float32, blk.Values), want: n}, nil
}

// Next expands the next run of whole blocks.
func (r *blockReader) Next() ([]float64, error) {
	if r.seen >= r.want {
		return nil, io.EOF
	}
	n := min(r.end-r.off, int64(len(r.buf)))
	n -= n % int64(r.blk.Bytes)
	if n <= 0 {
		return nil, fmt.Errorf("the data ends after %d of %d values", r.seen, r.want)
	}
	if got, err := r.f.ReadAt(r.buf[:n], r.off); int64(got) < n {
		return nil, fmt.Errorf("the data ends before its recorded length (at offset %d): %v", r.off+int64(got), err)
	}
	r.off += n
	r.vals = r.vals[:0]
	for b := r.buf[:n]; len(b) >= r.blk.Bytes; b = b[r.blk.Bytes:] {
		r.blk.Decode(b, r.out)
		for _, v := range r.out {
			r.vals = append(r.vals, float64(v))
		}
	}
	r.seen += int64(len(r.vals))
	return r.vals, nil
}

// Close closes the file.
func (r *blockReader) Close() error { return r.f.Close() }

// newDequantizer returns the affine dequantization of t's integer values
// ((q - zero point) × scale, per channel along Quant.Axis when there are
// several scales), or nil for none.
func newDequantizer(t *Tensor) func(i int64, v float64) float64 {
	q := t.Quant
	if q == nil || len(q.Scale) == 0 || !isIntDType(t.DType) {
		return nil
	}
	zp := func(c int) float64 {
		if c < len(q.ZeroPoint) {
			return float64(q.ZeroPoint[c])
		}
		return 0
	}
	if len(q.Scale) == 1 {
		sc, z := q.Scale[0], zp(0)
		return func(_ int64, v float64) float64 { return (v - z) * sc }
	}
	ax := int(q.Axis)
	if ax < 0 || ax >= len(t.Shape) || t.Shape[ax] != int64(len(q.Scale)) {
		return nil
	}
	inner := int64(1)
	for _, d := range t.Shape[ax+1:] {
		inner *= d
	}
	return func(i int64, v float64) float64 {
		c := int((i / inner) % int64(len(q.Scale)))
		return (v - zp(c)) * q.Scale[c]
	}
}

func isIntDType(t DType) bool {
	switch t {
	case "int8", "uint8", "int16", "uint16", "int32", "uint32", "int4", "uint4":
		return true
	}
	return false
}
