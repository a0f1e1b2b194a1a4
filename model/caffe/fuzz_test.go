package caffe

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// FuzzOpen checks that no input makes the decoder panic, hang or allocate
// without bound. Run: go test -fuzz FuzzOpen ./model/caffe
func FuzzOpen(f *testing.F) {
	for _, e := range testenv.ManifestEntries(f, "caffe") {
		if e.Bytes > 16<<10 {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	path := filepath.Join(f.TempDir(), "fuzz.caffemodel")
	f.Fuzz(func(t *testing.T, data []byte) {
		timer := time.AfterFunc(30*time.Second, func() { panic("decode took more than 30s: a hang") })
		defer timer.Stop()
		m, err := decode(context.Background(), data, path)
		if err != nil {
			return
		}
		checkModel(t, m, int64(len(data)), path)
	})
}

// checkModel checks invariants of every decoded net: one node per layer
// in the summary, blob locations inside the file.
func checkModel(t *testing.T, m *model.Model, size int64, path string) {
	t.Helper()
	if s := model.Summarize(m); s.Nodes != len(m.Graph.Nodes) {
		t.Fatalf("summary counts %d nodes, graph has %d", s.Nodes, len(m.Graph.Nodes))
	}
	for _, tn := range m.Graph.Initializers {
		if l := tn.Location; l != nil && l.File == path && (l.Offset < 0 || l.Offset+l.Length > size) {
			t.Fatalf("blob %q: location %d+%d outside the %d-byte file", tn.Name, l.Offset, l.Length, size)
		}
	}
}

// TestTruncatedPrefixes decodes prefixes of the small corpus files: each
// decodes or fails with an error; the whole file decodes.
func TestTruncatedPrefixes(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "caffe") {
		if e.Bytes > 64<<10 || !e.Valid() {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(b)/150)
		for n := 0; n < len(b); n += step {
			if m, err := decode(context.Background(), b[:n], e.Abs()); err == nil {
				checkModel(t, m, int64(n), e.Abs())
			}
		}
		if _, err := decode(context.Background(), b, e.Abs()); err != nil {
			t.Errorf("%s: whole file: %v", e.Name(), err)
		}
	}
}
