package tfjs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestShardLayout checks offsets across shards: a weight split over two
// shards is located by its first part with a note, the next one in the
// second shard; a quantised weight takes its stored size and is opaque.
func TestShardLayout(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string]int{"s1.bin": 6, "s2.bin": 12} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := openBytes(t, dir, []byte(`{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":[{"paths":["s1.bin","s2.bin"],"weights":[
		{"name":"a","dtype":"float32","shape":[2]},
		{"name":"b","dtype":"float32","shape":[2]},
		{"name":"q","dtype":"float32","shape":[2],"quantization":{"dtype":"uint8","min":-1,"scale":0.5}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		file        string
		off, length int64
		enc         model.Encoding
	}{{"s1.bin", 0, 6, model.EncRaw}, {"s2.bin", 2, 8, model.EncRaw}, {"s2.bin", 10, 2, model.EncOpaque}}
	for i, w := range want {
		x := m.Graph.Initializers[i]
		l := x.Location
		if l == nil || filepath.Base(l.File) != w.file || l.Offset != w.off || l.Length != w.length || l.Encoding != w.enc {
			t.Errorf("%s: location %+v, want %+v", x.Name, l, w)
		}
	}
	if !strings.Contains(m.Graph.Initializers[0].Doc, "split") {
		t.Errorf("split weight note %q", m.Graph.Initializers[0].Doc)
	}
	if q := m.Graph.Initializers[2].Quant; q == nil || len(q.Scale) != 1 || q.Scale[0] != 0.5 || q.Min[0] != -1 {
		t.Errorf("quantisation %+v", q)
	}
}

// TestStringWeight checks that a string weight's size is found from its
// length prefixes, so the weights after it are located.
func TestStringWeight(t *testing.T) {
	dir := t.TempDir()
	// "ab" and "xyz": 4+2 + 4+3 bytes, then a float32.
	data := []byte{2, 0, 0, 0, 'a', 'b', 3, 0, 0, 0, 'x', 'y', 'z', 0, 0, 0, 0}
	if err := os.WriteFile(filepath.Join(dir, "s.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := openBytes(t, dir, []byte(`{"format":"graph-model","modelTopology":{"node":[]},"weightsManifest":[{"paths":["s.bin"],"weights":[
		{"name":"s","dtype":"string","shape":[2]},{"name":"f","dtype":"float32","shape":[]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s, f := m.Graph.Initializers[0].Location, m.Graph.Initializers[1].Location
	if s == nil || s.Length != 13 || s.Encoding != model.EncOpaque || f == nil || f.Offset != 13 || f.Length != 4 {
		t.Errorf("string at %+v, float at %+v", s, f)
	}
}
