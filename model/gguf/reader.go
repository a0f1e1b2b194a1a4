package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// reader reads GGUF primitives from a buffered stream, tracking its
// position and refusing to read or skip past the known end of the file.
type reader struct {
	r     *bufio.Reader
	order binary.ByteOrder
	pos   int64
	size  int64
	buf   [8]byte
}

// errTruncated is wrapped by every read that runs past the end of the file.
var errTruncated = errors.New("the file ends too early (truncated or not a GGUF file)")

func (r *reader) remaining() int64 { return r.size - r.pos }

func (r *reader) fill(n int) ([]byte, error) {
	if int64(n) > r.remaining() {
		return nil, fmt.Errorf("at offset %d: %w", r.pos, errTruncated)
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("at offset %d: %w", r.pos, errTruncated)
		}
		return nil, fmt.Errorf("at offset %d: %w", r.pos, err)
	}
	r.pos += int64(n)
	return b, nil
}

func (r *reader) u8() (uint8, error) {
	b, err := r.fill(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) u16() (uint16, error) {
	b, err := r.fill(2)
	if err != nil {
		return 0, err
	}
	return r.order.Uint16(b), nil
}

func (r *reader) u32() (uint32, error) {
	b, err := r.fill(4)
	if err != nil {
		return 0, err
	}
	return r.order.Uint32(b), nil
}

func (r *reader) u64() (uint64, error) {
	b, err := r.fill(8)
	if err != nil {
		return 0, err
	}
	return r.order.Uint64(b), nil
}

// skip discards n bytes, which must lie inside the file.
func (r *reader) skip(n uint64) error {
	if n > uint64(r.remaining()) {
		return fmt.Errorf("at offset %d: %d more bytes declared: %w", r.pos, n, errTruncated)
	}
	for n > 0 {
		step := n
		if step > math.MaxInt32 {
			step = math.MaxInt32
		}
		d, err := r.r.Discard(int(step))
		r.pos += int64(d)
		if err != nil {
			return fmt.Errorf("at offset %d: %w", r.pos, errTruncated)
		}
		n -= step
	}
	return nil
}

// str reads a length-prefixed string of at most limit bytes, keeping its
// first keep bytes and skipping the rest. It returns the kept text and the
// full length.
func (r *reader) str(limit, keep uint64) (string, uint64, error) {
	at := r.pos
	n, err := r.u64()
	if err != nil {
		return "", 0, err
	}
	if n > limit {
		return "", 0, fmt.Errorf("at offset %d: string length %d exceeds the limit of %d bytes", at, n, limit)
	}
	if n > uint64(r.remaining()) {
		return "", 0, fmt.Errorf("at offset %d: string of %d bytes runs past the end of the file: %w", at, n, errTruncated)
	}
	k := min(n, keep)
	b := make([]byte, k)
	if _, err := io.ReadFull(r.r, b); err != nil {
		return "", 0, fmt.Errorf("at offset %d: %w", r.pos, errTruncated)
	}
	r.pos += int64(k)
	if err := r.skip(n - k); err != nil {
		return "", 0, err
	}
	return string(b), n, nil
}

// skipStrings passes over n length-prefixed strings. It parses the lengths
// straight from the read buffer, which makes skipping a 150,000-token
// vocabulary several times faster than reading each string on its own.
func (r *reader) skipStrings(n uint64) error {
	for n > 0 {
		buf, _ := r.r.Peek(r.r.Buffered())
		if rem := r.remaining(); int64(len(buf)) > rem {
			buf = buf[:rem]
		}
		used := 0
		for n > 0 && len(buf)-used >= 8 {
			l := r.order.Uint64(buf[used:])
			if l > maxStringLen || l > uint64(len(buf)-used-8) {
				break
			}
			used += 8 + int(l)
			n--
		}
		if used > 0 {
			if _, err := r.r.Discard(used); err != nil {
				return fmt.Errorf("at offset %d: %w", r.pos, errTruncated)
			}
			r.pos += int64(used)
			continue
		}
		// The next string does not fit in the buffer: read it the slow way.
		if err := r.skipString(); err != nil {
			return err
		}
		n--
	}
	return nil
}

func (r *reader) skipString() error {
	at := r.pos
	n, err := r.u64()
	if err != nil {
		return err
	}
	if n > maxStringLen {
		return fmt.Errorf("at offset %d: string length %d exceeds the limit of %d bytes", at, n, maxStringLen)
	}
	return r.skip(n)
}
