package flatbuf

import (
	"fmt"
	"io"
)

// Source gives bounds-checked random access to a file's bytes. Small files
// are read whole; big ones (a model over 2 GB keeps its weights after the
// flatbuffer) are read in cached pages, so only the parts a decoder
// touches are ever read. A Source is not safe for concurrent use.
type Source struct {
	r     io.ReaderAt
	size  int64
	whole []byte
	pages map[int64][]byte
	fifo  []int64
}

// Paging parameters: files up to WholeLimit bytes are read whole; bigger
// ones in pages of PageSize bytes, at most MaxPages of them cached.
const (
	WholeLimit = 1 << 20
	PageSize   = 64 << 10
	MaxPages   = 256
)

// NewSource returns a Source over size bytes of r, reading small files
// whole.
func NewSource(r io.ReaderAt, size int64) (*Source, error) {
	return NewSourceLimit(r, size, WholeLimit)
}

// NewSourceLimit reads files up to limit bytes whole, bigger ones in pages.
func NewSourceLimit(r io.ReaderAt, size, limit int64) (*Source, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative file size %d", size)
	}
	s := &Source{r: r, size: size}
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

// FromBytes returns a Source over b, which it keeps (not a copy).
func FromBytes(b []byte) *Source {
	return &Source{size: int64(len(b)), whole: b}
}

// Size is the number of bytes in the source.
func (s *Source) Size() int64 { return s.size }

// CachedPages is the number of pages held in the cache (0 for a source
// read whole).
func (s *Source) CachedPages() int { return len(s.pages) }

// At returns the n bytes at off, or an error when they are not all inside
// the file. The slice may alias a cache and must not be modified.
func (s *Source) At(off int64, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, fmt.Errorf("offset %d+%d is outside the file (%d bytes)", off, n, s.size)
	}
	if s.whole != nil || s.size == 0 {
		return s.whole[off : off+n], nil
	}
	first := off / PageSize
	if (off+n-1)/PageSize == first || n == 0 {
		p, err := s.page(first)
		if err != nil {
			return nil, err
		}
		o := off - first*PageSize
		return p[o : o+n], nil
	}
	b := make([]byte, n)
	if _, err := s.r.ReadAt(b, off); err != nil && err != io.EOF {
		return nil, err
	}
	return b, nil
}

func (s *Source) page(i int64) ([]byte, error) {
	if p, ok := s.pages[i]; ok {
		return p, nil
	}
	n := min(int64(PageSize), s.size-i*PageSize)
	p := make([]byte, n)
	if _, err := s.r.ReadAt(p, i*PageSize); err != nil && err != io.EOF {
		return nil, err
	}
	if len(s.fifo) >= MaxPages {
		delete(s.pages, s.fifo[0])
		s.fifo = s.fifo[1:]
	}
	s.pages[i] = p
	s.fifo = append(s.fifo, i)
	return p, nil
}
