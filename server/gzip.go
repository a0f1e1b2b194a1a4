package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// gzipBytes compresses b (fast level), into a slice of its exact size.
func gzipBytes(b []byte) []byte {
	gz, _ := gzipWritten(len(b)/4+64, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	return gz
}

// gzipWritten compresses (fast level) what write writes, as it comes,
// into a slice of its exact size (room: a first guess of that size). An
// answer bigger than gzInline is compressed, past its first gzInline
// bytes, a piece at a time on other goroutines while write goes on
// (chunkedGzip). Either way the result is one gzip member, and no
// goroutine outlives the call.
func gzipWritten(room int, write func(io.Writer) error) ([]byte, error) {
	z := newChunkedGzip(room)
	defer z.abort() // even if write panics
	if err := write(z); err != nil {
		return nil, err
	}
	return z.close()
}

// gunzip returns the plain form of a cached answer, for clients that do
// not accept gzip (scripts; browsers all do).
func gunzip(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("cached answer: %w", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("cached answer: %w", err)
	}
	return b, nil
}
