package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// wholeFileLimit is the size up to which a file is read into memory in one
// go; larger files are read through a small sliding window so that weight
// bytes are skipped without ever being read.
const wholeFileLimit = 16 << 20

// windowSize is the size of the sliding window for large files.
const windowSize = 64 << 10

// errTruncated is returned when a length or offset points past the end of
// the data that holds it.
var errTruncated = errors.New("the file is truncated or damaged")

// source gives bounded random access to a file. Slices returned by bytes
// are valid only until the next call.
type source struct {
	r    io.ReaderAt
	size int64
	buf  []byte // cached bytes, starting at file offset base
	base int64
	// whole is set when buf holds the entire file.
	whole bool
}

// newSource reads files up to wholeLimit bytes entirely, and prepares a
// window for bigger ones.
func newSource(f *os.File, size, wholeLimit int64) (*source, error) {
	s := &source{r: f, size: size}
	if size <= wholeLimit {
		buf := make([]byte, size)
		if err := s.readAt(buf, 0); err != nil {
			return nil, err
		}
		s.buf, s.whole = buf, true
	}
	return s, nil
}

// bytesSource wraps data already in memory (tests, fuzzing).
func bytesSource(b []byte) *source {
	return &source{size: int64(len(b)), buf: b, whole: true}
}

// bytes returns the n bytes at off. The result must be copied to be kept.
func (s *source) bytes(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, errTruncated
	}
	if off >= s.base && off-s.base <= int64(len(s.buf)) && n <= int64(len(s.buf))-(off-s.base) {
		i := off - s.base
		return s.buf[i : i+n : i+n], nil
	}
	if s.whole {
		return nil, errTruncated
	}
	if n > windowSize {
		// A one-off read for a long string or list; the window stays.
		b := make([]byte, n)
		if err := s.readAt(b, off); err != nil {
			return nil, err
		}
		return b, nil
	}
	want := min(int64(windowSize), s.size-off)
	if cap(s.buf) < windowSize {
		s.buf = make([]byte, windowSize)
	}
	s.buf = s.buf[:want]
	s.base = off
	if err := s.readAt(s.buf, off); err != nil {
		s.buf = s.buf[:0]
		return nil, err
	}
	return s.buf[:n:n], nil
}

func (s *source) readAt(b []byte, off int64) error {
	n, err := s.r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("read at offset %d: the file got shorter while reading", off)
	}
	return fmt.Errorf("read at offset %d: %w", off, err)
}
