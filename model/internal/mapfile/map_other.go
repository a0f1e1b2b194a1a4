//go:build !unix

package mapfile

import (
	"io"
	"os"
)

// mapOrRead reads f whole where mapping is not available.
func mapOrRead(f *os.File, size int64) ([]byte, func() error, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}
