package model

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// statsChunk is the bytes read at a time while streaming a tensor.
const statsChunk = 1 << 20

// valueSource streams a tensor's values, dequantized, chunk by chunk.
type valueSource struct {
	loc   *Location
	count int64
	// unit is the chunk alignment in bytes (element width or block size).
	unit int
	// decode appends the values of one aligned chunk to out; first is
	// the index of the chunk's first element.
	decode func(b []byte, first int64, out []float64) []float64
	// varint marks a protobuf varint run, whose chunks are cut after a
	// final byte rather than at a fixed unit.
	varint bool
}

// newValueSource picks how t's bytes become values.
func newValueSource(t *Tensor) (*valueSource, error) {
	if t == nil || t.Location == nil || t.Location.Missing || t.Location.Encoding == "" {
		return nil, ErrNoPreview
	}
	if t.Location.Offset < 0 || t.Location.Length < 0 {
		return nil, fmt.Errorf("tensor %q: bad data location", t.Name)
	}
	count, ok := NumElements(t.Shape)
	if !ok {
		return nil, fmt.Errorf("tensor %q: shape %v has no valid element count", t.Name, t.Shape)
	}
	src := &valueSource{loc: t.Location, count: count}
	if blk, ok := ggmlBlocks[t.DType]; ok && t.Location.Encoding == EncOpaque {
		src.unit = blk.bytes
		src.decode = blk.decoder()
		return src, nil
	}
	if t.DType == "complex64" || t.DType == "complex128" || t.Location.Encoding == EncOpaque {
		return nil, fmt.Errorf("%w: values of type %s stored as %s", ErrNoPreview, t.DType, t.Location.Encoding)
	}
	dec, ok := newElemDecoder(t.DType, t.Location.Encoding)
	if !ok {
		return nil, fmt.Errorf("%w: values of type %s stored as %s", ErrNoPreview, t.DType, t.Location.Encoding)
	}
	src.unit = max(dec.width, 1)
	src.varint = dec.enc == EncVarint
	deq := newDequantizer(t)
	src.decode = func(b []byte, first int64, out []float64) []float64 {
		start := len(out)
		if t.DType == "float32" && dec.enc == EncRaw {
			for i := 0; i+4 <= len(b); i += 4 {
				out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
			}
		} else {
			dec.each(b, func(v float64) bool {
				out = append(out, v)
				return true
			})
		}
		if deq != nil {
			for i := start; i < len(out); i++ {
				out[i] = deq(first+int64(i-start), out[i])
			}
		}
		return out
	}
	return src, nil
}

// each calls fn with the first n values, a chunk at a time, checking ctx
// between chunks; it returns how many values it delivered (fewer than n
// when ctx ended).
func (s *valueSource) each(ctx context.Context, n int64, fn func([]float64)) (int64, error) {
	f, err := os.Open(s.loc.File)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, statsChunk-statsChunk%s.unit)
	var vals []float64
	var seen, off, carry int64
	for seen < n && off < s.loc.Length && ctx.Err() == nil {
		want := min(int64(len(buf))-carry, s.loc.Length-off)
		got, err := f.ReadAt(buf[carry:carry+want], s.loc.Offset+off)
		if int64(got) < want {
			if err == nil || errors.Is(err, io.EOF) {
				err = fmt.Errorf("the data ends before its recorded length (%d bytes at offset %d)", s.loc.Length, s.loc.Offset)
			}
			return seen, err
		}
		off += want
		chunk := buf[:carry+want]
		carry = 0
		if s.varint && off < s.loc.Length {
			cut := lastVarintEnd(chunk)
			if cut == 0 {
				return seen, errors.New("a varint run longer than a chunk")
			}
			chunk, carry = chunk[:cut], int64(len(chunk)-cut)
		}
		vals = s.decode(chunk, seen, vals[:0])
		vals = vals[:min(int64(len(vals)), n-seen)]
		fn(vals)
		seen += int64(len(vals))
		if carry > 0 {
			copy(buf, buf[len(chunk):len(chunk)+int(carry)])
		}
	}
	if seen < n && ctx.Err() == nil {
		return seen, fmt.Errorf("the data holds %d of %d values", seen, n)
	}
	return seen, nil
}

// lastVarintEnd returns the length of the prefix of b made of whole
// varints (ending in a byte without the continuation bit).
func lastVarintEnd(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i]&0x80 == 0 {
			return i + 1
		}
	}
	return 0
}

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
