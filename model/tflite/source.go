package tflite

import (
	"fmt"
	"io"
)

// source gives bounds-checked random access to a file's bytes. Small files
// are read whole; big ones (a TFLite model over 2 GB keeps its weights
// after the flatbuffer) are read in cached pages, so only the parts the
// decoder touches are ever read.
type source struct {
	r     io.ReaderAt
	size  int64
	whole []byte
	pages map[int64][]byte
	fifo  []int64
}

const (
	wholeLimit = 1 << 20
	pageSize   = 64 << 10
	maxPages   = 256
)

func newSource(r io.ReaderAt, size int64) (*source, error) {
	return newSourceLimit(r, size, wholeLimit)
}

// newSourceLimit reads files up to limit bytes whole, bigger ones in pages.
func newSourceLimit(r io.ReaderAt, size, limit int64) (*source, error) {
	s := &source{r: r, size: size}
	if size <= limit {
		s.whole = make([]byte, size)
		if _, err := r.ReadAt(s.whole, 0); err != nil && err != io.EOF {
			return nil, err
		}
		return s, nil
	}
	s.pages = map[int64][]byte{}
	return s, nil
}

// at returns the n bytes at off, or an error when they are not all inside
// the file.
func (s *source) at(off int64, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, fmt.Errorf("offset %d+%d is outside the file (%d bytes)", off, n, s.size)
	}
	if s.whole != nil {
		return s.whole[off : off+n], nil
	}
	first := off / pageSize
	if (off+n-1)/pageSize == first || n == 0 {
		p, err := s.page(first)
		if err != nil {
			return nil, err
		}
		o := off - first*pageSize
		return p[o : o+n], nil
	}
	b := make([]byte, n)
	if _, err := s.r.ReadAt(b, off); err != nil && err != io.EOF {
		return nil, err
	}
	return b, nil
}

func (s *source) page(i int64) ([]byte, error) {
	if p, ok := s.pages[i]; ok {
		return p, nil
	}
	n := min(int64(pageSize), s.size-i*pageSize)
	p := make([]byte, n)
	if _, err := s.r.ReadAt(p, i*pageSize); err != nil && err != io.EOF {
		return nil, err
	}
	if len(s.fifo) >= maxPages {
		delete(s.pages, s.fifo[0])
		s.fifo = s.fifo[1:]
	}
	s.pages[i] = p
	s.fifo = append(s.fifo, i)
	return p, nil
}
