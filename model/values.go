package model

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// valueChunk is how many bytes a ValueReader reads from the file at a time.
const valueChunk = 256 << 10

// ValueReader streams every value of a tensor from its Location in
// bounded memory: bytes are read in fixed chunks and decoded with the same
// element decoders as ReadPreview. Complex values come as real, imaginary
// pairs. Quantisation parameters are not applied.
type ValueReader struct {
	f     *os.File
	dec   elemDecoder
	off   int64 // next file offset to read
	end   int64 // end of the tensor's bytes
	limit int64 // values to deliver
	seen  int64
	buf   []byte
	carry []byte // bytes of an element split across chunks (varint)
	vals  []float64
	f32   bool // little-endian float32: the common case, decoded inline
}

// NewValueReader opens t's data for streaming. It returns an error
// wrapping ErrNoPreview when the tensor's values cannot be decoded (no
// data, opaque or block-quantised encoding, non-numeric dtype).
func NewValueReader(t *Tensor) (*ValueReader, error) {
	if t == nil || t.Location == nil || t.Location.Missing || t.Location.Encoding == EncOpaque || t.Location.Encoding == "" {
		return nil, ErrNoPreview
	}
	dec, ok := newElemDecoder(t.DType, t.Location.Encoding)
	if !ok {
		return nil, fmt.Errorf("%w: values of type %s stored as %s", ErrNoPreview, t.DType, t.Location.Encoding)
	}
	loc := t.Location
	if loc.Offset < 0 || loc.Length < 0 || loc.Offset > math.MaxInt64-loc.Length {
		return nil, fmt.Errorf("tensor %q: bad data location", t.Name)
	}
	count, ok := NumElements(t.Shape)
	if !ok {
		return nil, fmt.Errorf("tensor %q: shape %v has no valid element count", t.Name, t.Shape)
	}
	if t.DType == "complex64" || t.DType == "complex128" {
		count = 2 * min(count, math.MaxInt64/2)
	}
	f, err := os.Open(loc.File)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	return &ValueReader{f: f, dec: dec, off: loc.Offset, end: loc.Offset + loc.Length, limit: count,
		f32: loc.Encoding == EncRaw && (t.DType == "float32" || t.DType == "complex64")}, nil
}

// Count is the number of values the reader delivers when the data is
// complete.
func (r *ValueReader) Count() int64 { return r.limit }

// Next returns the next run of values (at most one chunk's worth), valid
// until the following call, or io.EOF when every value has been read. A
// tensor whose data ends before its element count is an error.
func (r *ValueReader) Next() ([]float64, error) {
	if r.seen >= r.limit {
		return nil, io.EOF
	}
	if r.off >= r.end && len(r.carry) == 0 {
		return nil, fmt.Errorf("the data ends after %d of %d values", r.seen, r.limit)
	}
	n := min(r.end-r.off, valueChunk)
	if cap(r.buf) < int(n)+len(r.carry) {
		r.buf = make([]byte, 0, valueChunk+16)
	}
	b := append(r.buf[:0], r.carry...)
	start := len(b)
	b = b[:start+int(n)]
	if got, err := r.f.ReadAt(b[start:], r.off); int64(got) < n {
		return nil, fmt.Errorf("the data ends before its recorded length (at offset %d): %v", r.off+int64(got), err)
	}
	r.off += n
	b, r.carry = r.split(b, r.off >= r.end)
	if len(r.carry) > 16 {
		return nil, fmt.Errorf("malformed varint data at offset %d", r.off-int64(len(r.carry)))
	}
	r.vals = r.vals[:0]
	if r.f32 {
		r.float32s(b)
		return r.vals, nil
	}
	r.dec.each(b, func(v float64) bool {
		if r.seen >= r.limit {
			return false
		}
		r.vals = append(r.vals, v)
		r.seen++
		return true
	})
	return r.vals, nil
}

// float32s decodes little-endian float32 values without a call per value.
func (r *ValueReader) float32s(b []byte) {
	n := min(int64(len(b)/4), r.limit-r.seen)
	for i := range n {
		r.vals = append(r.vals, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))))
	}
	r.seen += n
}

// split cuts b after its last whole element and returns the remainder to
// carry into the next chunk.
func (r *ValueReader) split(b []byte, last bool) (whole, rest []byte) {
	if last {
		return b, nil
	}
	cut := len(b)
	switch {
	case r.dec.enc == EncVarint:
		for cut > 0 && b[cut-1]&0x80 != 0 {
			cut--
		}
	case r.dec.width > 1:
		cut -= cut % r.dec.width
	}
	rest = append([]byte(nil), b[cut:]...)
	return b[:cut], rest
}

// Close closes the file.
func (r *ValueReader) Close() error { return r.f.Close() }
