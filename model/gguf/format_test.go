package gguf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

func smallSpec() spec {
	return spec{
		kvs: []wkv{
			{"general.architecture", TypeString, "llama"},
			{"general.name", TypeString, "small"},
			{"llama.block_count", TypeUint32, uint32(2)},
			{"llama.context_length", TypeUint32, uint32(2048)},
			{"llama.rope.freq_base", TypeFloat32, float32(10000)},
			{"tokenizer.ggml.model", TypeString, "gpt2"},
			{"tokenizer.ggml.tokens", TypeArray, warr{TypeString, []any{"a", "b", "c", "d"}}},
		},
		tensors: []wtensor{
			{"token_embd.weight", []uint64{64, 4}, 1, 64 * 4 * 2},
			{"blk.1.attn_q.weight", []uint64{64, 64}, 8, tensorBytes([]uint64{64, 64}, 32, 34)},
			{"blk.0.attn_q.weight", []uint64{64, 64}, 8, tensorBytes([]uint64{64, 64}, 32, 34)},
			{"blk.0.ffn_up.weight", []uint64{64, 128}, 0, 64 * 128 * 4},
			{"output_norm.weight", []uint64{64}, 0, 64 * 4},
			{"output.weight", []uint64{64, 4}, 30, 64 * 4 * 2},
		},
	}
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestByteOrderAndVersions opens the same model written little-endian v3,
// big-endian v3 and little-endian v2, and expects the same result.
func TestByteOrderAndVersions(t *testing.T) {
	var ref *model.Model
	for _, c := range []struct {
		name string
		be   bool
		ver  uint32
	}{{"le3", false, 3}, {"be3", true, 3}, {"le2", false, 2}, {"be2", true, 2}} {
		s := smallSpec()
		s.bigEndian, s.version = c.be, c.ver
		b := s.bytes(t)
		if Detect(b[:16], int64(len(b))) != model.Strong {
			t.Fatalf("%s: not detected", c.name)
		}
		m, err := Open(context.Background(), writeTemp(t, c.name+".gguf", b))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.Version != string(rune('0'+c.ver)) {
			t.Errorf("%s: version %q", c.name, m.Version)
		}
		for _, tn := range m.Graph.Initializers {
			want := model.EncRaw
			if strings.HasPrefix(string(tn.DType), "q") {
				want = model.EncOpaque
			} else if c.be {
				want = model.EncRawBigEndian
			}
			if tn.Location.Encoding != want {
				t.Errorf("%s: %s encoding %s, want %s", c.name, tn.Name, tn.Location.Encoding, want)
			}
		}
		if ref == nil {
			ref = m
			continue
		}
		a, b2 := model.Summarize(ref), model.Summarize(m)
		if len(a.Tensors) != len(b2.Tensors) || len(a.Metadata) != len(b2.Metadata) {
			t.Fatalf("%s differs from le3", c.name)
		}
		for i := range a.Tensors {
			if a.Tensors[i].Name != b2.Tensors[i].Name || a.Tensors[i].DType != b2.Tensors[i].DType || !slices.Equal(a.Tensors[i].Shape, b2.Tensors[i].Shape) {
				t.Errorf("%s tensor %d: %+v, le3 has %+v", c.name, i, b2.Tensors[i], a.Tensors[i])
			}
		}
		for k, v := range a.Metadata {
			if b2.Metadata[k] != v {
				t.Errorf("%s metadata %s = %q, le3 has %q", c.name, k, b2.Metadata[k], v)
			}
		}
	}
}

// TestGraphOrder checks the llama computation drawn from a small file:
// the embedding first, blocks in numeric order (whatever the file's tensor
// order), each weight on the node that consumes it, the output last.
func TestGraphOrder(t *testing.T) {
	m, err := Open(context.Background(), writeTemp(t, "m.gguf", smallSpec().bytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	nodes := m.Graph.Nodes
	if first := nodes[0]; first.OpType != "get_rows" || !slices.Equal(first.Inputs, []string{"tokens", "token_embd.weight"}) {
		t.Errorf("first node %s %s %v", first.Name, first.OpType, first.Inputs)
	}
	if last := nodes[len(nodes)-1]; last.OpType != "matmul" || !slices.Contains(last.Inputs, "output.weight") {
		t.Errorf("last node %s %s %v", last.Name, last.OpType, last.Inputs)
	}
	pos := map[string]int{}
	for i, n := range nodes {
		pos[n.Name] = i
	}
	q0, ok0 := pos["blk.0.attn_q"]
	q1, ok1 := pos["blk.1.attn_q"]
	if !ok0 || !ok1 || q0 > q1 {
		t.Errorf("blk.0.attn_q at %d (%v), blk.1.attn_q at %d (%v)", q0, ok0, q1, ok1)
	}
	if ok0 && !slices.Equal(nodes[q0].Inputs, []string{nodes[0].Outputs[0], "blk.0.attn_q.weight"}) {
		t.Errorf("blk.0.attn_q inputs %v", nodes[q0].Inputs)
	}
	if len(m.Graph.Inputs) != 1 || len(m.Graph.Outputs) != 1 ||
		m.Graph.Outputs[0].Type.Shape.String() != "[n_tokens,4]" {
		t.Errorf("inputs %v outputs %+v", m.Graph.Inputs, m.Graph.Outputs[0])
	}
	props := map[string]string{}
	for _, p := range m.Properties {
		props[p.Name] = p.Value
	}
	for k, v := range map[string]string{
		"architecture": "llama", "context length": "2048", "block count": "2",
		"rope frequency base": "10000", "tokenizer": "gpt2", "vocabulary size": "4",
		"quantization": "f32 ×2, q8_0 ×2, bf16 ×1, f16 ×1",
	} {
		if props[k] != v {
			t.Errorf("property %q = %q, want %q", k, props[k], v)
		}
	}
}

// TestUnknownArchitecture shows modules by name, with no edges, for names
// the decoder has never seen.
func TestUnknownArchitecture(t *testing.T) {
	s := spec{tensors: []wtensor{
		{"enc.layers.10.w", []uint64{4}, 0, 16},
		{"enc.layers.2.w", []uint64{4}, 0, 16},
		{"misc", []uint64{4}, 0, 16},
		{"enc.layers.2.b", []uint64{4}, 0, 16},
	}}
	m, err := Open(context.Background(), writeTemp(t, "u.gguf", s.bytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range m.Graph.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"enc.layers.2", "enc.layers.10", "misc"}; !slices.Equal(names, want) {
		t.Errorf("nodes %v, want %v", names, want)
	}
	if len(m.Graph.Nodes[0].Inputs) != 2 {
		t.Errorf("enc.layers.2 inputs %v", m.Graph.Nodes[0].Inputs)
	}
	for _, n := range m.Graph.Nodes {
		if len(n.Outputs) != 0 {
			t.Errorf("%s has outputs %v: a weight-only view has no data flow", n.Name, n.Outputs)
		}
	}
	if !slices.ContainsFunc(m.Properties, func(p model.Property) bool { return p.Value == weightsOnlyNote }) {
		t.Errorf("no weights-only note in %v", m.Properties)
	}
}

// TestEveryGGMLType checks the byte length of a 256×2 tensor of every
// ggml type against sizes worked out from ggml's block layouts.
func TestEveryGGMLType(t *testing.T) {
	want := map[string]int64{
		"f32": 2048, "f16": 1024, "q4_0": 288, "q4_1": 320, "q5_0": 352, "q5_1": 384,
		"q8_0": 544, "q8_1": 576, "q2_k": 168, "q3_k": 220, "q4_k": 288, "q5_k": 352,
		"q6_k": 420, "q8_k": 584, "iq2_xxs": 132, "iq2_xs": 148, "iq3_xxs": 196,
		"iq1_s": 100, "iq4_nl": 288, "iq3_s": 220, "iq2_s": 164, "iq4_xs": 272,
		"i8": 512, "i16": 1024, "i32": 2048, "i64": 4096, "f64": 4096, "iq1_m": 112,
		"bf16": 1024, "q4_0_4_4": 288, "q4_0_4_8": 288, "q4_0_8_8": 288, "tq1_0": 108,
		"tq2_0": 132, "iq4_nl_4_4": 288, "iq4_nl_4_8": 288, "iq4_nl_8_8": 288,
		"mxfp4": 272, "nvfp4": 288, "q1_0": 72,
	}
	var s spec
	for id := GGMLType(0); id < 64; id++ {
		if id.Known() {
			s.tensors = append(s.tensors, wtensor{id.Name(), []uint64{256, 2}, id, uint64(want[id.Name()])})
		}
	}
	if len(s.tensors) != len(want) {
		t.Fatalf("%d known types, %d expected sizes", len(s.tensors), len(want))
	}
	h, err := ReadHeader(context.Background(), bytes.NewReader(s.bytes(t)), int64(len(s.bytes(t))))
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range h.Tensors {
		if ti.Bytes != want[ti.Name] || ti.Elements != 512 {
			t.Errorf("%s: %d bytes, %d elements; want %d, 512", ti.Name, ti.Bytes, ti.Elements, want[ti.Name])
		}
	}
	plain := map[GGMLType]model.DType{0: "float32", 1: "float16", 30: "bfloat16", 24: "int8", 28: "float64", 12: "q4_k", 17: "iq2_xs"}
	for id, d := range plain {
		if model.DType(id.DType()) != d {
			t.Errorf("type %d dtype %q, want %q", id, id.DType(), d)
		}
	}
}

// TestMetadataValues writes every value type, nested arrays and a long
// array, and checks decoding, rendering and ReadArray.
func TestMetadataValues(t *testing.T) {
	long := make([]any, 1000)
	for i := range long {
		long[i] = int32(i)
	}
	words := make([]any, 300)
	for i := range words {
		words[i] = strings.Repeat("w", i%7+1)
	}
	s := spec{version: 3, kvs: []wkv{
		{"u8", TypeUint8, uint8(200)}, {"i8", TypeInt8, int8(-5)},
		{"u16", TypeUint16, uint16(60000)}, {"i16", TypeInt16, int16(-300)},
		{"u32", TypeUint32, uint32(4000000000)}, {"i32", TypeInt32, int32(-7)},
		{"f32", TypeFloat32, float32(0.5)}, {"bool", TypeBool, true},
		{"str", TypeString, "héllo"}, {"u64", TypeUint64, uint64(1) << 63},
		{"i64", TypeInt64, int64(-1) << 62}, {"f64", TypeFloat64, 2.25},
		{"nested", TypeArray, warr{TypeArray, []any{warr{TypeString, []any{"x", "y"}}, warr{TypeString, []any{}}}}},
		{"long", TypeArray, warr{TypeInt32, long}},
		{"words", TypeArray, warr{TypeString, words}},
	}}
	p := writeTemp(t, "kv.gguf", s.bytes(t))
	m, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"u8": "200", "i8": "-5", "u16": "60000", "i16": "-300", "u32": "4000000000", "i32": "-7",
		"f32": "0.5", "bool": "true", "str": "héllo", "u64": "9223372036854775808",
		"i64": "-4611686018427387904", "f64": "2.25", "nested": `[["x", "y"], []]`,
	}
	for k, v := range want {
		if m.Metadata[k] != v {
			t.Errorf("%s = %q, want %q", k, m.Metadata[k], v)
		}
	}
	if got := m.Metadata["long"]; !strings.HasPrefix(got, "[0, 1, 2,") || !strings.HasSuffix(got, ", 63, …] (1000 INT32 items)") {
		t.Errorf("long = %q", got)
	}
	v, err := ReadArray(context.Background(), p, "words", 290, 20)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len != 300 || v.ItemsFrom != 290 || len(v.Items) != 10 || v.Items[0].Str != words[290] || v.Items[9].Str != words[299] {
		t.Errorf("ReadArray words[290:] = from %d, %d items (%+v)", v.ItemsFrom, len(v.Items), v.Items)
	}
	v, err = ReadArray(context.Background(), p, "long", 500, 3)
	if err != nil || len(v.Items) != 3 || v.Items[0].Int != 500 || v.Items[2].Int != 502 {
		t.Errorf("ReadArray long[500:503] = %+v, %v", v, err)
	}
	if _, err := ReadArray(context.Background(), p, "str", 0, 1); err == nil {
		t.Error("ReadArray on a string: no error")
	}
}

// TestVocabOnly opens a file with metadata and no tensors.
func TestVocabOnly(t *testing.T) {
	s := spec{kvs: []wkv{{"general.architecture", TypeString, "llama"}}}
	m, err := Open(context.Background(), writeTemp(t, "v.gguf", s.bytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Nodes) != 0 || len(m.Graph.Initializers) != 0 || m.Metadata["general.architecture"] != "llama" {
		t.Errorf("vocab-only model: %+v", m)
	}
}

// TestSplits opens the middle split of a three-file model and expects all
// tensors, the metadata of the first split, and every file listed.
func TestSplits(t *testing.T) {
	dir := t.TempDir()
	names := []string{"m-00001-of-00003.gguf", "m-00002-of-00003.gguf", "m-00003-of-00003.gguf"}
	for i, n := range names {
		s := spec{kvs: []wkv{
			{"split.no", TypeUint16, uint16(i)},
			{"split.count", TypeUint16, uint16(3)},
			{"split.tensors.count", TypeInt32, int32(3)},
		}, tensors: []wtensor{{name: "blk." + string(rune('0'+i)) + ".w", dims: []uint64{8}, typ: 0, size: 32}}}
		if i == 0 {
			s.kvs = append(s.kvs, wkv{"general.architecture", TypeString, "llama"})
		}
		if err := os.WriteFile(filepath.Join(dir, n), s.bytes(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Open(context.Background(), filepath.Join(dir, names[1]))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, names[1]), filepath.Join(dir, names[0]), filepath.Join(dir, names[2])}
	if !slices.Equal(m.Files, want) {
		t.Errorf("files %v, want %v", m.Files, want)
	}
	if len(m.Graph.Initializers) != 3 || m.Metadata["general.architecture"] != "llama" {
		t.Errorf("%d tensors, metadata %v", len(m.Graph.Initializers), m.Metadata)
	}
	for _, tn := range m.Graph.Initializers {
		if !strings.HasSuffix(tn.Location.File, "-0000"+string(tn.Name[4]+1)+"-of-00003.gguf") {
			t.Errorf("%s located in %s", tn.Name, tn.Location.File)
		}
	}
	if err := os.Remove(filepath.Join(dir, names[2])); err != nil {
		t.Fatal(err)
	}
	m, err = Open(context.Background(), filepath.Join(dir, names[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Initializers) != 2 || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "missing") {
		t.Errorf("with a missing split: %d tensors, warnings %q", len(m.Graph.Initializers), m.Warnings)
	}
}

// TestSwappedMagic opens a big-endian file whose writer byte-swapped the
// magic too ("FUGG").
func TestSwappedMagic(t *testing.T) {
	s := smallSpec()
	s.bigEndian = true
	b := s.bytes(t)
	copy(b, "FUGG")
	if Detect(b, int64(len(b))) != model.Strong {
		t.Fatal("FUGG not detected")
	}
	m, err := Open(context.Background(), writeTemp(t, "fugg.gguf", b))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Initializers) != 6 || m.Metadata["general.name"] != "small" {
		t.Errorf("FUGG file: %d tensors, metadata %v", len(m.Graph.Initializers), m.Metadata)
	}
}

// TestCanceled: a canceled context stops the decode.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, writeTemp(t, "c.gguf", smallSpec().bytes(t))); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
