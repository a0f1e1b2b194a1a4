//go:build unix

package mapfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mapOrRead maps f read-only.
func mapOrRead(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 {
		return []byte{}, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("the file is too large to map")
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map the file: %w", err)
	}
	return b, func() error { return unix.Munmap(b) }, nil
}
