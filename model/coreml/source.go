package coreml

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// wholeFileLimit is the size up to which a spec file is read into memory
// in one go; bigger files are walked through a small window so that inline
// weights (WeightParams of old neural networks) are skipped unread.
const wholeFileLimit = 32 << 20

// windowSize is the size of the read window for big files.
const windowSize = 64 << 10

// maxInline is the longest bytes field read into memory when walking a big
// file: names, small messages. Longer fields are descended into by
// offset or only located.
const maxInline = 1 << 20

var errTruncated = errors.New("the protobuf structure does not parse: a length runs past the end of its message (truncated or damaged file)")

// field is one protobuf field. Bytes holds a length-delimited field's
// content when it is in memory (always for whole files, up to maxInline
// bytes for windowed ones); Off and Len locate it in the file.
type field struct {
	Num    protowire.Number
	Type   protowire.Type
	Varint uint64
	Bytes  []byte
	Off    int64
	Len    int64
}

func (f field) wire() pbwire.Field {
	return pbwire.Field{Num: f.Num, Type: f.Type, Varint: f.Varint, Bytes: f.Bytes, Off: f.Off}
}

// source reads a protobuf file: whole when small, through a window when big.
type source struct {
	r     io.ReaderAt
	size  int64
	whole []byte
	win   []byte
	base  int64
}

func newSource(r io.ReaderAt, size, wholeLimit int64) (*source, error) {
	s := &source{r: r, size: size}
	if size <= wholeLimit {
		buf := make([]byte, size)
		if _, err := r.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read: %w", err)
		}
		s.whole = buf
	}
	return s, nil
}

func bytesSource(b []byte) *source { return &source{size: int64(len(b)), whole: b} }

// read returns n bytes at off (a fresh copy for windowed files).
func (s *source) read(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, errTruncated
	}
	if s.whole != nil {
		return s.whole[off : off+n : off+n], nil
	}
	buf := make([]byte, n)
	if _, err := s.r.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, fmt.Errorf("read at %d: %w", off, err)
	}
	return buf, nil
}

// peek returns up to n bytes at off through the window (valid until the
// next call).
func (s *source) peek(off, n int64) ([]byte, error) {
	n = min(n, s.size-off)
	if off >= s.base && off+n <= s.base+int64(len(s.win)) {
		return s.win[off-s.base : off-s.base+n], nil
	}
	want := min(int64(windowSize), s.size-off)
	if cap(s.win) < windowSize {
		s.win = make([]byte, windowSize)
	}
	s.win = s.win[:want]
	s.base = off
	if _, err := s.r.ReadAt(s.win, off); err != nil && !errors.Is(err, io.EOF) {
		s.win = s.win[:0]
		return nil, fmt.Errorf("read at %d: %w", off, err)
	}
	return s.win[:n], nil
}

// walk calls fn for every field of the message at [off, off+n).
func (s *source) walk(ctx context.Context, off, n int64, fn func(f field) error) error {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return errTruncated
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.whole != nil {
		return pbwire.Walk(s.whole[off:off+n], off, func(f pbwire.Field) error {
			return fn(field{Num: f.Num, Type: f.Type, Varint: f.Varint, Bytes: f.Bytes, Off: f.Off, Len: int64(len(f.Bytes))})
		})
	}
	for pos, end := off, off+n; pos < end; {
		f, next, err := s.fieldAt(pos, end)
		if err != nil {
			return err
		}
		if f.Type != protowire.StartGroupType { // groups are skipped, as pbwire.Walk does
			if err := fn(f); err != nil {
				return err
			}
		}
		pos = next
	}
	return nil
}

// fieldAt decodes the field starting at pos of a windowed file.
func (s *source) fieldAt(pos, end int64) (field, int64, error) {
	head, err := s.peek(pos, min(20, end-pos))
	if err != nil {
		return field{}, 0, err
	}
	num, typ, n := protowire.ConsumeTag(head)
	if n < 0 {
		return field{}, 0, fmt.Errorf("%w: bad field tag at offset %d", pbwire.ErrMalformed, pos)
	}
	f := field{Num: num, Type: typ}
	rest := head[n:]
	var m int
	switch typ {
	case protowire.VarintType:
		f.Varint, m = protowire.ConsumeVarint(rest)
	case protowire.Fixed32Type:
		var v uint32
		v, m = protowire.ConsumeFixed32(rest)
		f.Varint = uint64(v)
	case protowire.Fixed64Type:
		f.Varint, m = protowire.ConsumeFixed64(rest)
	case protowire.BytesType:
		var l uint64
		l, m = protowire.ConsumeVarint(rest)
		if m >= 0 {
			f.Off = pos + int64(n+m)
			if l > uint64(end-f.Off) {
				return field{}, 0, errTruncated
			}
			f.Len = int64(l)
			return s.inline(f, f.Off+f.Len)
		}
	case protowire.StartGroupType:
		next, err := s.skipGroup(num, pos+int64(n), end, 0)
		return f, next, err
	default:
		return field{}, 0, fmt.Errorf("%w: unsupported wire type %d at offset %d", pbwire.ErrMalformed, typ, pos)
	}
	if m < 0 {
		return field{}, 0, fmt.Errorf("%w: field %d at offset %d is cut short", pbwire.ErrMalformed, num, pos)
	}
	next := pos + int64(n+m)
	if next > end {
		return field{}, 0, errTruncated
	}
	return f, next, nil
}

// maxGroupDepth bounds the nesting of (deprecated) groups skipped in a
// windowed file, as protowire does for whole messages.
const maxGroupDepth = 100

// skipGroup skips the fields of group num, which start at pos, and
// returns the offset after its end-group tag. A group is never read into
// memory: its fields are stepped over through the window.
func (s *source) skipGroup(num protowire.Number, pos, end int64, depth int) (int64, error) {
	if depth >= maxGroupDepth {
		return 0, fmt.Errorf("%w: groups nested more than %d deep at offset %d", pbwire.ErrMalformed, maxGroupDepth, pos)
	}
	for pos < end {
		head, err := s.peek(pos, min(20, end-pos))
		if err != nil {
			return 0, err
		}
		n2, typ, n := protowire.ConsumeTag(head)
		if n < 0 {
			return 0, fmt.Errorf("%w: bad field tag at offset %d", pbwire.ErrMalformed, pos)
		}
		switch typ {
		case protowire.EndGroupType:
			if n2 != num {
				return 0, fmt.Errorf("%w: group %d ends as %d at offset %d", pbwire.ErrMalformed, num, n2, pos)
			}
			return pos + int64(n), nil
		case protowire.StartGroupType:
			pos, err = s.skipGroup(n2, pos+int64(n), end, depth+1)
			if err != nil {
				return 0, err
			}
			continue
		}
		_, next, err := s.fieldAt(pos, end)
		if err != nil {
			return 0, err
		}
		pos = next
	}
	return 0, fmt.Errorf("%w: group %d is not closed", pbwire.ErrMalformed, num)
}

// inline reads a short bytes field's content into memory.
func (s *source) inline(f field, next int64) (field, int64, error) {
	if f.Len <= maxInline {
		b, err := s.read(f.Off, f.Len)
		if err != nil {
			return field{}, 0, err
		}
		f.Bytes = b
	}
	return f, next, nil
}

// sub walks the sub-message held by a bytes field.
func (s *source) sub(ctx context.Context, f field, fn func(f field) error) error {
	if f.Type != protowire.BytesType {
		return fmt.Errorf("%w: field %d is not a message", pbwire.ErrMalformed, f.Num)
	}
	if f.Bytes != nil && s.whole == nil {
		// already in memory: no need to read it again through the window
		if err := ctx.Err(); err != nil {
			return err
		}
		return pbwire.Walk(f.Bytes, f.Off, func(w pbwire.Field) error {
			return fn(field{Num: w.Num, Type: w.Type, Varint: w.Varint, Bytes: w.Bytes, Off: w.Off, Len: int64(len(w.Bytes))})
		})
	}
	return s.walk(ctx, f.Off, f.Len, fn)
}

// str returns a string field's value, cut at maxInline bytes.
func (s *source) str(f field) string {
	if f.Type != protowire.BytesType {
		return ""
	}
	if f.Bytes == nil && f.Len > 0 {
		b, err := s.read(f.Off, min(f.Len, maxInline))
		if err != nil {
			return ""
		}
		f.Bytes = b
	}
	return f.wire().String()
}
