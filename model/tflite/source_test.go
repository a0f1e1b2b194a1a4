package tflite

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// TestPagedSource decodes a corpus model through the page cache (as for
// files over 1 MB) and read whole: both give the same model.
func TestPagedSource(t *testing.T) {
	path := filepath.Join(testenv.Corpus(t), "tflite", "tflite-micro", "mobilenet_v2_quantized_1x3x224x224.tflite")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	paged, err := flatbuf.NewSourceLimit(bytes.NewReader(data), int64(len(data)), 0)
	if err != nil {
		t.Fatal(err)
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
