package gguf

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// FuzzGGUF decodes arbitrary bytes as a GGUF header and, when that works,
// builds the model from it. Seeds: the corpus files' headers, the test
// writer's files, and crafted headers. A panic fails the run: there is no
// recover here.
func FuzzGGUF(f *testing.F) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "gguf")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	vocab, _ := filepath.Glob(filepath.Join(dir, "llama.cpp-vocab", "*.gguf"))
	for _, p := range append(paths, vocab...) {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f.Add(b[:min(len(b), 2<<10)])
	}
	f.Add(smallSpec().bytes(f))
	big := smallSpec()
	big.bigEndian = true
	f.Add(big.bytes(f))
	f.Add(nested(6))
	f.Add(tensorFile([]uint64{256, 2}, 12, 0))
	f.Add(kvFile("general.alignment", uint32(TypeUint32), uint32(64)))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := readHeader(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), 4096), int64(len(data)), nil)
		if err != nil {
			return
		}
		m, err := assemble([]part{{path: "/fuzz.gguf", h: h}})
		if err != nil {
			return
		}
		s := model.Summarize(m)
		if len(s.Tensors) != len(h.Tensors) {
			t.Fatalf("%d tensors in the summary, %d in the header", len(s.Tensors), len(h.Tensors))
		}
	})
}
