package mnn

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// decodeBytes decodes data as an MNN file.
func decodeBytes(data []byte) (*model.Model, error) {
	return decode(context.Background(), flatbuf.FromBytes(data), "/fuzz.mnn")
}

// corpusFiles returns the bytes of the mnn files of both manifests'
// folders, by base name.
func corpusFiles(tb testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, dir := range []string{"corpus", "real-world"} {
		paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", dir, "mnn", "*", "*.mnn"))
		for _, p := range paths {
			if st, err := os.Stat(p); err != nil || st.Size() > 128<<10 {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				out[filepath.Base(p)] = b
			}
		}
	}
	if len(out) == 0 {
		tb.Skip("no mnn corpus files")
	}
	return out
}

// FuzzOpen decodes arbitrary bytes as an MNN model, seeded from the
// corpus. There is no recover here: a panic fails the run.
func FuzzOpen(f *testing.F) {
	for _, b := range corpusFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeBytes(data)
		if err != nil {
			return
		}
		if s := model.Summarize(m); s.Nodes < len(m.Graph.Nodes) {
			t.Fatalf("summary counts %d nodes, the main graph has %d", s.Nodes, len(m.Graph.Nodes))
		}
		Detect(data[:min(len(data), model.SniffLen)], int64(len(data)))
	})
}
