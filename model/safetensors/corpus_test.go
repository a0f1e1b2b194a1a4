package safetensors

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// manifestEntry is one MANIFEST.json record of a safetensors file.
type manifestEntry struct {
	Path   string   `json:"path"`
	Format string   `json:"format"`
	Files  []string `json:"files"`
	Facts  struct {
		HeaderLength int64 `json:"header_length"`
		TensorCount  int   `json:"tensor_count"`
		Tensors      map[string]struct {
			DType   string   `json:"dtype"`
			Shape   []int64  `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		} `json:"tensors"`
		Metadata         map[string]any `json:"metadata"`
		WeightMapEntries int            `json:"weight_map_entries"`
		Shards           []string       `json:"shards"`
		Valid            *bool          `json:"valid"`
	} `json:"facts"`
}

// wantDType is the numpy spelling each safetensors dtype must map to.
var wantDType = map[string]model.DType{
	"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
	"I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8",
	"U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8",
	"BOOL": "bool", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
}

func loadManifest(t *testing.T) (string, []manifestEntry) {
	t.Helper()
	dir := testenv.Corpus(t)
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	var out []manifestEntry
	for _, raw := range all {
		var head struct{ Format string }
		if err := json.Unmarshal(raw, &head); err != nil {
			t.Fatal(err)
		}
		if head.Format != "safetensors" && head.Format != "safetensors-index" {
			continue
		}
		var e manifestEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		t.Fatal("no safetensors files in the manifest")
	}
	return dir, out
}

func openWithRegistry(t *testing.T, path string) (*model.Model, error) {
	t.Helper()
	r := &model.Registry{}
	r.Register(Format())
	return r.Open(context.Background(), path)
}

func TestCorpus(t *testing.T) {
	dir, entries := loadManifest(t)
	for _, e := range entries {
		t.Run(e.Path, func(t *testing.T) {
			path := filepath.Join(dir, e.Path)
			m, err := openWithRegistry(t, path)
			if e.Facts.Valid != nil && !*e.Facts.Valid {
				if err == nil {
					t.Fatal("invalid file opened without error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Format != "safetensors" || m.Files[0] != path {
				t.Fatalf("format %q files %q", m.Format, m.Files)
			}
			sum := model.Summarize(m)
			byName := map[string]model.SummaryTensor{}
			for _, st := range sum.Tensors {
				byName[st.Name] = st
			}
			if len(byName) != len(sum.Tensors) {
				t.Fatalf("duplicate tensor names in summary")
			}
			if e.Format == "safetensors-index" {
				checkIndex(t, dir, e, m, byName)
				return
			}
			// Tensors stored in this file, exactly as the manifest says.
			inFile := 0
			for _, tt := range m.Graph.Initializers {
				if tt.Location.File == path {
					inFile++
				}
			}
			if inFile != e.Facts.TensorCount || len(e.Facts.Tensors) != e.Facts.TensorCount {
				t.Fatalf("%d tensors in this file, manifest says %d", inFile, e.Facts.TensorCount)
			}
			loc := map[string]*model.Location{}
			for _, tt := range m.Graph.Initializers {
				loc[tt.Name] = tt.Location
			}
			for name, want := range e.Facts.Tensors {
				got, ok := byName[name]
				if !ok {
					t.Fatalf("tensor %q missing", name)
				}
				if got.DType != wantDType[want.DType] || !slices.Equal(got.Shape, want.Shape) {
					t.Errorf("tensor %q: %s %v, want %s (%s) %v", name, got.DType, got.Shape, wantDType[want.DType], want.DType, want.Shape)
				}
				l := loc[name]
				wantOff := 8 + e.Facts.HeaderLength + want.Offsets[0]
				if l.File != path || l.Offset != wantOff || l.Length != want.Offsets[1]-want.Offsets[0] || l.Encoding != model.EncRaw {
					t.Errorf("tensor %q location %+v, want offset %d length %d", name, *l, wantOff, want.Offsets[1]-want.Offsets[0])
				}
			}
			// Metadata from __metadata__ (shards also get the index's).
			for k, v := range e.Facts.Metadata {
				if sum.Metadata[k] != v {
					t.Errorf("metadata %q = %q, want %q", k, sum.Metadata[k], v)
				}
			}
			if len(e.Facts.Metadata) == 0 && len(m.Files) == 1 && len(sum.Metadata) != 0 {
				t.Errorf("metadata %v, want none", sum.Metadata)
			}
			if len(m.Warnings) != 0 {
				t.Errorf("warnings on a well-formed file: %q", m.Warnings)
			}
			checkGraph(t, m)
		})
	}
}

// checkIndex checks a model opened through its shard index.
func checkIndex(t *testing.T, dir string, e manifestEntry, m *model.Model, byName map[string]model.SummaryTensor) {
	t.Helper()
	if len(byName) != e.Facts.WeightMapEntries {
		t.Fatalf("%d tensors, index maps %d", len(byName), e.Facts.WeightMapEntries)
	}
	base := filepath.Dir(filepath.Join(dir, e.Path))
	want := []string{filepath.Join(dir, e.Path)}
	for _, s := range e.Facts.Shards {
		want = append(want, filepath.Join(base, s))
	}
	// The other files the manifest lists (config.json) follow the shards.
	for _, f := range e.Files {
		if p := filepath.Join(dir, f); !slices.Contains(want, p) {
			want = append(want, p)
		}
	}
	if !slices.Equal(m.Files, want) {
		t.Fatalf("files %q, want %q", m.Files, want)
	}
	for k, v := range e.Facts.Metadata {
		var s string
		switch v := v.(type) {
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case string:
			s = v
		}
		if m.Metadata[k] != s {
			t.Errorf("metadata %q = %q, want %q", k, m.Metadata[k], s)
		}
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings: %q", m.Warnings)
	}
	checkGraph(t, m)
}

// checkGraph checks every initializer is used by a node (exactly one in
// the hierarchy view; facts.llm fixes the counts of architecture graphs,
// checked in model/internal/llm), and node inputs name initializers,
// graph inputs or earlier outputs.
func checkGraph(t *testing.T, m *model.Model) {
	t.Helper()
	g := m.Graph
	known := map[string]int{}
	for _, tt := range g.Initializers {
		known[tt.Name] = 0
	}
	outs := map[string]bool{}
	for _, v := range g.Inputs {
		outs[v.Name] = true
	}
	weightsOnly := slices.ContainsFunc(m.Properties, func(p model.Property) bool { return strings.Contains(p.Value, "no data flow") })
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if c, ok := known[in]; ok {
				known[in] = c + 1
			} else if !outs[in] {
				t.Fatalf("node %q input %q is neither a tensor nor an earlier output", n.Name, in)
			}
		}
		for _, o := range n.Outputs {
			outs[o] = true
		}
	}
	for name, c := range known {
		if c != 1 && (weightsOnly || c == 0) {
			t.Fatalf("tensor %q used by %d nodes", name, c)
		}
	}
}

// TestShardOpensWholeSet opens each shard of the sharded corpus set and
// expects the whole set, with the opened shard first in Files.
func TestShardOpensWholeSet(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(t), "safetensors", "gpt2_tiny_sharded")
	for _, name := range []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"} {
		p := filepath.Join(dir, name)
		m, err := openWithRegistry(t, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Graph.Initializers) != 28 {
			t.Fatalf("%s: %d tensors, want the whole set's 28", name, len(m.Graph.Initializers))
		}
		if len(m.Files) != 3 || m.Files[0] != p || m.Files[1] != filepath.Join(dir, "model.safetensors.index.json") {
			t.Fatalf("%s: files %q", name, m.Files)
		}
		if m.Metadata["total_size"] != "485376" {
			t.Fatalf("%s: index metadata not merged: %v", name, m.Metadata)
		}
	}
}

// TestLlamaGraph checks the hierarchy view of the Llama-style corpus file.
func TestLlamaGraph(t *testing.T) {
	p := filepath.Join(testenv.Corpus(t), "safetensors", "llama_tiny_bf16.safetensors")
	m, err := openWithRegistry(t, p)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range m.Graph.Nodes {
		names = append(names, n.Name+":"+n.OpType)
	}
	want := []string{
		"lm_head:lm_head", "model.embed_tokens:embed_tokens",
		"model.layers.0.input_layernorm:input_layernorm",
		"model.layers.0.mlp.down_proj:down_proj", "model.layers.0.mlp.gate_proj:gate_proj", "model.layers.0.mlp.up_proj:up_proj",
		"model.layers.0.post_attention_layernorm:post_attention_layernorm",
		"model.layers.0.self_attn.k_proj:k_proj", "model.layers.0.self_attn.o_proj:o_proj",
		"model.layers.0.self_attn.q_proj:q_proj", "model.layers.0.self_attn.v_proj:v_proj",
	}
	if len(names) != 21 || !slices.Equal(names[:len(want)], want) || names[20] != "model.norm:norm" {
		t.Fatalf("nodes %q", names)
	}
	if m.Producer != "PyTorch" {
		t.Fatalf("producer %q", m.Producer)
	}
}

// copyShards copies the named files of the sharded corpus set to a new
// folder and returns it.
func copyShards(t *testing.T, names ...string) string {
	t.Helper()
	src := filepath.Join(testenv.Corpus(t), "safetensors", "gpt2_tiny_sharded")
	dst := t.TempDir()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

const (
	shard1  = "model-00001-of-00002.safetensors"
	shard2  = "model-00002-of-00002.safetensors"
	idxName = "model.safetensors.index.json"
)

// TestShardsWithoutIndex opens a shard whose set has no index: the
// siblings named like it are found.
func TestShardsWithoutIndex(t *testing.T) {
	dir := copyShards(t, shard1, shard2)
	m, err := openWithRegistry(t, filepath.Join(dir, shard2))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Initializers) != 28 || len(m.Files) != 2 || m.Files[1] != filepath.Join(dir, shard1) || len(m.Warnings) != 0 {
		t.Fatalf("%d tensors, files %q, warnings %q", len(m.Graph.Initializers), m.Files, m.Warnings)
	}
}

// TestMissingShard opens sets with a shard missing: what is there is
// shown, with a warning.
func TestMissingShard(t *testing.T) {
	dir := copyShards(t, shard1)
	m, err := openWithRegistry(t, filepath.Join(dir, shard1))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Initializers) != 14 || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], shard2+" is missing") {
		t.Fatalf("no index: %d tensors, warnings %q", len(m.Graph.Initializers), m.Warnings)
	}
	dir = copyShards(t, shard1, idxName)
	m, err = openWithRegistry(t, filepath.Join(dir, idxName))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Initializers) != 14 || len(m.Files) != 2 || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "14 tensors not shown") {
		t.Fatalf("with index: %d tensors, files %q, warnings %q", len(m.Graph.Initializers), m.Files, m.Warnings)
	}
}

// TestBadIndexBesideShard opens a shard whose index is hostile: the index
// is ignored with a warning and the siblings are found by name.
func TestBadIndexBesideShard(t *testing.T) {
	dir := copyShards(t, shard1, shard2)
	bad := `{"weight_map":{"a":"` + shard1 + `","b":"../../etc/passwd"}}`
	if err := os.WriteFile(filepath.Join(dir, idxName), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := openWithRegistry(t, filepath.Join(dir, shard1))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Graph.Initializers) != 28 || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "ignored") {
		t.Fatalf("%d tensors, warnings %q", len(m.Graph.Initializers), m.Warnings)
	}
	if _, err := openWithRegistry(t, filepath.Join(dir, idxName)); err == nil || !strings.Contains(err.Error(), "not a file name") {
		t.Fatalf("opening the hostile index: %v", err)
	}
}

// TestImplausibleShardName opens files whose shard names do not add up.
func TestImplausibleShardName(t *testing.T) {
	src := filepath.Join(testenv.Corpus(t), "safetensors", "hf-samples", "f.safetensors")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"m-3-of-2.safetensors", "m-1-of-99999999.safetensors", "m-0-of-0.safetensors", "m-2-of-3.safetensors"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := openWithRegistry(t, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(m.Graph.Initializers) != 1 || len(m.Warnings) != 1 {
			t.Fatalf("%s: %d tensors, warnings %q", name, len(m.Graph.Initializers), m.Warnings)
		}
		t.Logf("%s: %s", name, m.Warnings[0])
		os.Remove(p)
	}
}
