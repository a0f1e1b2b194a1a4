package executorch

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// decodeBytes decodes data as an ExecuTorch file.
func decodeBytes(data []byte) (*model.Model, error) {
	return decodeFile(context.Background(), flatbuf.FromBytes(data), "/fuzz.pte")
}

// corpusFiles returns the bytes of the small executorch files of both
// manifests' folders.
func corpusFiles(tb testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for _, dir := range []string{"corpus", "real-world"} {
		paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", dir, "executorch", "*", "*"))
		for _, p := range paths {
			if st, err := os.Stat(p); err != nil || st.Size() > 64<<10 {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				out[filepath.Base(p)] = b
			}
		}
	}
	if len(out) == 0 {
		tb.Skip("no executorch corpus files")
	}
	return out
}

// FuzzOpen decodes arbitrary bytes as an ExecuTorch file, seeded from the
// corpus. There is no recover here: a panic fails the run.
func FuzzOpen(f *testing.F) {
	for _, b := range corpusFiles(f) {
		f.Add(b)
	}
	f.Add([]byte("\x10\x00\x00\x00ET12eh00\x18\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeBytes(data)
		if err != nil {
			return
		}
		if s := model.Summarize(m); s.Nodes < len(m.Graph.Nodes) {
			t.Fatalf("summary counts %d nodes, the main graph has %d", s.Nodes, len(m.Graph.Nodes))
		}
	})
}
