package flatbuf

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestPagedSource reads random ranges through the page cache and compares
// them with the bytes; reads past the end fail and the cache stays bounded.
func TestPagedSource(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 3*PageSize+123)
	rng.Read(data)
	paged, err := NewSourceLimit(bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ {
		off := rng.Int63n(int64(len(data)))
		n := rng.Int63n(PageSize + 64)
		got, err := paged.At(off, n)
		if off+n > int64(len(data)) {
			if err == nil {
				t.Fatalf("At(%d, %d) past the end: no error", off, n)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("At(%d, %d): %v", off, n, err)
		}
	}
	if paged.CachedPages() > MaxPages {
		t.Errorf("%d pages cached, limit %d", paged.CachedPages(), MaxPages)
	}
	if _, err := paged.At(-1, 2); err == nil {
		t.Error("negative offset: no error")
	}
}
