package tensorflow

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// corpusFiles returns the TensorFlow files of both manifests.
func corpusFiles(t testing.TB) []testenv.Entry {
	return testenv.ManifestEntries(t, "tensorflow")
}

// FuzzOpen checks that no input makes the decoder panic, hang or allocate
// without bound. Run: go test -fuzz FuzzOpen ./model/tensorflow
func FuzzOpen(f *testing.F) {
	for _, e := range corpusFiles(f) {
		if e.Bytes > 16<<10 {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, filepath.Base(e.Path))
	}
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if strings.ContainsAny(name, "/\\") || name == "" || name == "." || name == ".." {
			name = "fuzz.pb"
		}
		timer := time.AfterFunc(30*time.Second, func() { panic("decode took more than 30s: a hang") })
		defer timer.Stop()
		path := filepath.Join(tmp, name)
		m, err := decode(context.Background(), data, path)
		if err != nil {
			return
		}
		checkModel(t, m, int64(len(data)), path)
	})
}

// checkModel checks invariants every decoded model keeps: the summary
// counts at least the main graph's nodes, locations in the file stay
// inside it.
func checkModel(t *testing.T, m *model.Model, size int64, path string) {
	t.Helper()
	s := model.Summarize(m)
	if s.Nodes < len(m.Graph.Nodes) {
		t.Fatalf("summary counts %d nodes, graph has %d", s.Nodes, len(m.Graph.Nodes))
	}
	for _, tn := range m.Graph.Initializers {
		if l := tn.Location; l != nil && l.File == path && (l.Offset < 0 || l.Offset+l.Length > size) {
			t.Fatalf("tensor %q: location %d+%d outside the %d-byte file", tn.Name, l.Offset, l.Length, size)
		}
	}
}

// TestTruncatedPrefixes decodes every prefix of the small corpus files:
// each decodes or fails with an error, none panics; the whole file
// decodes.
func TestTruncatedPrefixes(t *testing.T) {
	for _, e := range corpusFiles(t) {
		if e.Bytes > 16<<10 || !e.Valid() {
			continue
		}
		b, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(b)/400)
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
