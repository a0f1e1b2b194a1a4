package tflite

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestPagedSource reads random ranges through the page cache (as for
// files over 64 MB) and compares them with the file's bytes, then decodes
// a corpus model both ways.
func TestPagedSource(t *testing.T) {
	path := filepath.Join(testenv.Corpus(t), "tflite", "tflite-micro", "mobilenet_v2_quantized_1x3x224x224.tflite")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	paged, err := newSourceLimit(bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		off := rng.Int63n(int64(len(data)))
		n := rng.Int63n(pageSize + 64)
		got, err := paged.at(off, n)
		if off+n > int64(len(data)) {
			if err == nil {
				t.Fatalf("at(%d, %d) past the end: no error", off, n)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("at(%d, %d): %v", off, n, err)
		}
	}
	if len(paged.pages) > maxPages {
		t.Errorf("%d pages cached, limit %d", len(paged.pages), maxPages)
	}
	a, err := decode(context.Background(), paged, path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := decodeBytes(data, path)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a.m)
	jb, _ := json.Marshal(b.m)
	if !bytes.Equal(ja, jb) {
		t.Error("paged and whole-file decoding differ")
	}
}
