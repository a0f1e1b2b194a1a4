package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
)

// corpusFiles returns the contents of every safetensors file and shard
// index the manifests list (an entry's path and the shards among its
// files), keyed by path. A model's other files (a Hugging Face config.json)
// are not safetensors files and are left out.
func corpusFiles(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, e := range testenv.ManifestEntries(t, "safetensors", "safetensors-index") {
		paths := []string{e.Path}
		for _, f := range e.Files {
			if strings.HasSuffix(f, ".safetensors") {
				paths = append(paths, f)
			}
		}
		for _, p := range paths {
			b, err := os.ReadFile(filepath.Join(e.Root, filepath.FromSlash(p)))
			if err != nil {
				t.Fatal(err)
			}
			out[p] = b
		}
	}
	return out
}

// checkShard parses b as a safetensors file and checks what a successful
// parse promises: every tensor's bytes lie in the data section and match
// its dtype and shape.
func checkShard(t testing.TB, b []byte) {
	s, err := parseShard(bytes.NewReader(b), int64(len(b)), "/f.safetensors")
	if err != nil {
		return
	}
	for _, tt := range s.tensors {
		l := tt.Location
		if l.Offset < 8+s.headerLen || l.Length < 0 || l.Offset+l.Length > int64(len(b)) {
			t.Fatalf("tensor %q location %+v outside the data section of a %d-byte file", tt.Name, *l, len(b))
		}
		if n, ok := model.NumElements(tt.Shape); !ok || n < 0 {
			t.Fatalf("tensor %q shape %v accepted", tt.Name, tt.Shape)
		}
	}
	g := hier.Build(s.tensors, hier.Options{})
	if len(g.Initializers) != len(s.tensors) {
		t.Fatalf("graph lost tensors")
	}
}

// TestTruncatedPrefixes parses every prefix of every corpus file (every
// byte through the header and a little beyond, then a stride over the
// data): errors are fine, panics are not.
func TestTruncatedPrefixes(t *testing.T) {
	for name, b := range corpusFiles(t) {
		every := 8192
		if len(b) >= 8 && !strings.HasSuffix(name, ".json") {
			every = int(min(binary.LittleEndian.Uint64(b), 8192)) + 8 + 64
		}
		step := 1
		for i := 0; i <= len(b); i += step {
			if i >= every {
				step = max(1, len(b)/256)
			}
			if strings.HasSuffix(name, ".json") {
				_, _ = parseIndex(b[:i])
				continue
			}
			checkShard(t, b[:i])
		}
		if !strings.HasSuffix(name, ".json") {
			if _, err := parseShard(bytes.NewReader(b), int64(len(b)), name); err != nil {
				t.Errorf("%s: whole file: %v", name, err)
			}
		}
	}
}

// FuzzSafetensors fuzzes the header parser, seeded with the corpus and
// hostile headers. Run: go test ./model/safetensors -fuzz=FuzzSafetensors -fuzztime=60s
func FuzzSafetensors(f *testing.F) {
	for _, b := range corpusFiles(f) {
		if len(b) > 64<<10 {
			continue // the big ones add nothing the small ones do not
		}
		f.Add(b)
	}
	f.Add(withLen(1<<63, `{"a":1}`))
	f.Add(build(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, 8))
	f.Add(build(`{"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]},"__metadata__":{"k":"v"}}`, 1))
	f.Add(build(`{"a":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkShard(t, b)
	})
}

// FuzzIndex fuzzes the shard index parser.
func FuzzIndex(f *testing.F) {
	for name, b := range corpusFiles(f) {
		if strings.HasSuffix(name, ".json") {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"metadata":{"total_size":1},"weight_map":{"a":"b.safetensors"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := parseIndex(b)
		if err == nil && len(idx.WeightMap) == 0 {
			t.Fatal("index without weight_map accepted")
		}
	})
}

// TestDetect checks detection on the corpus and on near misses.
func TestDetect(t *testing.T) {
	for name, b := range corpusFiles(t) {
		head := b[:min(len(b), model.SniffLen)]
		got := Detect(head, int64(len(b)))
		want := model.Strong
		if strings.HasSuffix(name, ".json") {
			want = model.Plausible
		}
		if got != want {
			t.Errorf("%s: detected %v, want %v", name, got, want)
		}
	}
	// A truncated file is still claimed, so that opening it says why.
	if c := Detect(withLen(1<<40, `{"a":1}`), 15); c != model.Plausible {
		t.Errorf("truncated file: detected %v, want Plausible", c)
	}
	for name, b := range map[string][]byte{
		"npy":        []byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"),
		"zip":        []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00"),
		"plain json": []byte(`{"a": 1}`),
		"huge len":   withLen(1<<40, `{ "a":1}`),
		"gguf":       []byte("GGUF\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
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
	for name, b := range corpusFiles(t) {
		c := append([]byte(nil), b...)
		for i := 0; i < min(len(c), 4096); i += corruptStride(i) {
			orig := c[i]
			for _, v := range []byte{0, 0xff, orig + 1} {
				c[i] = v
				if strings.HasSuffix(name, ".json") {
					_, _ = parseIndex(c)
				} else {
					checkShard(t, c)
				}
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
