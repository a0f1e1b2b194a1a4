package gguf

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

type manifestEntry struct {
	Path   string          `json:"path"`
	Format string          `json:"format"`
	Facts  json.RawMessage `json:"facts"`
}

type ggufFacts struct {
	Version     uint32                     `json:"version"`
	TensorCount int                        `json:"tensor_count"`
	KVCount     int                        `json:"kv_count"`
	ByteOrder   string                     `json:"byte_order"`
	Alignment   int64                      `json:"alignment"`
	DataOffset  int64                      `json:"data_offset"`
	Arch        string                     `json:"architecture"`
	KV          map[string]json.RawMessage `json:"kv"`
	Tensors     []struct {
		Name       string  `json:"name"`
		Type       string  `json:"type"`
		Shape      []int64 `json:"shape"`
		NElements  int64   `json:"n_elements"`
		NBytes     int64   `json:"n_bytes"`
		DataOffset int64   `json:"data_offset"`
	} `json:"tensors"`
	Histogram map[string]int `json:"tensor_type_histogram"`
}

func corpusEntries(t *testing.T) (string, []manifestEntry) {
	dir := testenv.Corpus(t)
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []manifestEntry
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	var out []manifestEntry
	for _, e := range all {
		if e.Format == "gguf" {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Fatal("no gguf entries in MANIFEST.json")
	}
	return dir, out
}

// TestCorpus checks every GGUF file of the shared corpus against the facts
// gguf-py's GGUFReader computed for it.
func TestCorpus(t *testing.T) {
	dir, entries := corpusEntries(t)
	for _, e := range entries {
		t.Run(e.Path, func(t *testing.T) {
			var f ggufFacts
			if err := json.Unmarshal(e.Facts, &f); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, e.Path)
			h, err := readFile(context.Background(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantBE := f.ByteOrder == "big-endian"
			if h.Version != f.Version || len(h.Tensors) != f.TensorCount || len(h.KVs) != f.KVCount ||
				h.BigEndian != wantBE || h.Alignment != f.Alignment || h.DataOffset != f.DataOffset {
				t.Errorf("header: version %d tensors %d kvs %d big-endian %v alignment %d data offset %d; want %d %d %d %v %d %d",
					h.Version, len(h.Tensors), len(h.KVs), h.BigEndian, h.Alignment, h.DataOffset,
					f.Version, f.TensorCount, f.KVCount, wantBE, f.Alignment, f.DataOffset)
			}
			for key, raw := range f.KV {
				v, ok := h.Lookup(key)
				if !ok {
					t.Errorf("key %q missing", key)
					continue
				}
				checkKV(t, key, v, raw)
			}
			if len(h.Tensors) != len(f.Tensors) {
				t.Fatalf("%d tensors, want %d", len(h.Tensors), len(f.Tensors))
			}
			hist := map[string]int{}
			for i, want := range f.Tensors {
				got := h.Tensors[i]
				hist[strings.ToUpper(got.Type.Name())]++
				if got.Name != want.Name || strings.ToUpper(got.Type.Name()) != want.Type ||
					!equalInts(got.Dims, want.Shape) || got.Elements != want.NElements ||
					got.Bytes != want.NBytes || h.DataOffset+int64(got.Offset) != want.DataOffset {
					t.Errorf("tensor %d: %s %s %v n=%d bytes=%d at %d; want %s %s %v n=%d bytes=%d at %d", i,
						got.Name, got.Type.Name(), got.Dims, got.Elements, got.Bytes, h.DataOffset+int64(got.Offset),
						want.Name, want.Type, want.Shape, want.NElements, want.NBytes, want.DataOffset)
				}
			}
			if !equalHist(hist, f.Histogram) {
				t.Errorf("type histogram %v, want %v", hist, f.Histogram)
			}

			// The whole model, as `inspect --json` sees it.
			m, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			s := model.Summarize(m)
			if len(s.Tensors) != len(f.Tensors) || len(m.Metadata) != f.KVCount {
				t.Fatalf("summary: %d tensors, %d metadata; want %d, %d", len(s.Tensors), len(m.Metadata), len(f.Tensors), f.KVCount)
			}
			byName := map[string]model.SummaryTensor{}
			for _, st := range s.Tensors {
				byName[st.Name] = st
			}
			for _, want := range f.Tensors {
				st, ok := byName[want.Name]
				if !ok || !equalInts(st.Shape, want.Shape) || string(st.DType) != manifestDType(want.Type) {
					t.Errorf("summary tensor %q = %+v, want %s %v", want.Name, st, manifestDType(want.Type), want.Shape)
				}
			}
			if arch := m.Metadata["general.architecture"]; arch != f.Arch {
				t.Errorf("metadata architecture %q, want %q", arch, f.Arch)
			}
		})
	}
}

func manifestDType(ggmlName string) string {
	switch ggmlName {
	case "F32":
		return "float32"
	case "F16":
		return "float16"
	case "BF16":
		return "bfloat16"
	}
	return strings.ToLower(ggmlName)
}

func checkKV(t *testing.T, key string, v *Value, raw json.RawMessage) {
	t.Helper()
	var kv struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &kv); err != nil {
		t.Fatal(err)
	}
	if v.Type.String() != kv.Type {
		t.Errorf("%s: type %s, want %s", key, v.Type, kv.Type)
		return
	}
	if v.Type != TypeArray {
		checkScalar(t, key, v, kv.Value)
		return
	}
	var arr struct {
		Of    string            `json:"array_of"`
		Len   uint64            `json:"length"`
		First []json.RawMessage `json:"first_items"`
	}
	if err := json.Unmarshal(kv.Value, &arr); err != nil {
		t.Fatal(err)
	}
	if v.ElemType.String() != arr.Of || v.Len != arr.Len {
		t.Errorf("%s: array of %s × %d, want %s × %d", key, v.ElemType, v.Len, arr.Of, arr.Len)
		return
	}
	if len(v.Items) < len(arr.First) {
		t.Errorf("%s: %d items kept, want at least %d", key, len(v.Items), len(arr.First))
		return
	}
	for i, item := range arr.First {
		checkScalar(t, key, &v.Items[i], item)
	}
}

func checkScalar(t *testing.T, key string, v *Value, raw json.RawMessage) {
	t.Helper()
	var want any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	var got any
	switch v.Type {
	case TypeString:
		got = v.Str
	case TypeBool:
		got = v.Bool
	case TypeFloat32, TypeFloat64:
		got = v.Float
	default:
		n, _ := v.AsInt()
		got = float64(n)
	}
	if w, ok := want.(float64); ok {
		if g, ok := got.(float64); !ok || (g != w && !(math.IsNaN(g) && math.IsNaN(w))) {
			t.Errorf("%s: %v, want %v", key, got, want)
		}
		return
	}
	if got != want {
		t.Errorf("%s: %v, want %v", key, got, want)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalHist(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
