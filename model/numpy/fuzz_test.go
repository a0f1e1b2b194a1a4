package numpy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// corpusFiles returns every .npy/.npz file of the corpus by name.
func corpusFiles(t testing.TB) map[string][]byte {
	t.Helper()
	dir := filepath.Join(testenv.Corpus(t), "numpy")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	if len(out) == 0 {
		t.Fatal("no numpy corpus files")
	}
	return out
}

// check decodes b and, on success, checks every raw location lies in the
// file and matches the array's size.
func check(t testing.TB, b []byte) {
	m, err := decode(context.Background(), bytes.NewReader(b), int64(len(b)), "/f.npy")
	if err != nil {
		return
	}
	if len(m.Graph.Initializers) == 0 && len(m.Graph.Nodes) != 0 {
		t.Fatal("nodes without arrays")
	}
	for _, tt := range m.Graph.Initializers {
		if _, ok := model.NumElements(tt.Shape); !ok {
			t.Fatalf("array %q shape %v accepted", tt.Name, tt.Shape)
		}
		l := tt.Location
		if l == nil || l.Encoding == model.EncOpaque {
			continue
		}
		if l.Offset < 0 || l.Length < 0 || l.Offset > int64(len(b))-l.Length {
			t.Fatalf("array %q location %+v outside a %d-byte file", tt.Name, *l, len(b))
		}
	}
}

// TestTruncatedPrefixes decodes every prefix of every corpus file (every
// byte up to 8 KiB, then a stride): errors are fine, panics are not.
func TestTruncatedPrefixes(t *testing.T) {
	for name, b := range corpusFiles(t) {
		step := 1
		for i := 0; i <= len(b); i += step {
			if i >= 8192 {
				step = max(1, len(b)/256)
			}
			check(t, b[:i])
		}
		// Truncating the array data of a .npy must be an error.
		if strings.HasSuffix(name, ".npy") && len(b) > 128 {
			if _, err := decode(context.Background(), bytes.NewReader(b[:len(b)-1]), int64(len(b)-1), name); err == nil {
				t.Errorf("%s: a file missing its last byte opened", name)
			}
		}
	}
}

// FuzzNumpy fuzzes the .npy/.npz decoder, seeded with the corpus.
// Run: go test ./model/numpy -run '^$' -fuzz=FuzzNumpy -fuzztime=60s
func FuzzNumpy(f *testing.F) {
	for _, b := range corpusFiles(f) {
		if len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	f.Add(npy(1, hdr("[('a', '<f4', (2,)), ('b', [('c', '|O')])]", "(1,)"), make([]byte, 16)))
	f.Add(npy(3, hdr("'<U3'", "(2,)"), make([]byte, 24)))
	f.Add(npy(2, hdr("'>i8'", "(0, 4)"), nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, b)
	})
}

// FuzzLiteral fuzzes the Python literal parser alone.
func FuzzLiteral(f *testing.F) {
	f.Add("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }")
	f.Add("[(('t', 'n'), '<f4', (2,)), ('x', u'\\u00fc\\x41')]")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseLiteral(s)
	})
}

func TestDetect(t *testing.T) {
	for name, b := range corpusFiles(t) {
		if c := Detect(b[:min(len(b), model.SniffLen)], int64(len(b))); c != model.Strong {
			t.Errorf("%s: detected %v, want Strong", name, c)
		}
	}
	torch := zipOf(t, stored("archive/data.pkl", []byte("\x80\x02}q\x00.")), stored("archive/data/0", make([]byte, 8)))
	for name, b := range map[string][]byte{
		"torch zip":   torch,
		"safetensors": append([]byte{2, 0, 0, 0, 0, 0, 0, 0}, "{}"...),
		"short":       []byte("\x93NUM"),
	} {
		if c := Detect(b, int64(len(b))); c != model.No {
			t.Errorf("%s: detected %v, want No", name, c)
		}
	}
}

// TestCorruptBytes sets bytes of the first 4 KiB of every corpus file (each
// of the first 256, then every 16th) to 0x00, 0xFF and their successor:
// errors are fine, panics are not.
func TestCorruptBytes(t *testing.T) {
	for _, b := range corpusFiles(t) {
		c := append([]byte(nil), b...)
		for i := 0; i < min(len(c), 4096); i += corruptStride(i) {
			orig := c[i]
			for _, v := range []byte{0, 0xff, orig + 1} {
				c[i] = v
				check(t, c)
			}
			c[i] = orig
		}
	}
}

// corruptStride is the step between corrupted positions: every byte of
// the first 256 (the preamble and the start of the header), then every 16th.
func corruptStride(i int) int {
	if i < 256 {
		return 1
	}
	return 16
}
