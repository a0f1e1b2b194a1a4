package onnx

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// manifestEntry is one file of ../shared/corpus/MANIFEST.json.
type manifestEntry struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Facts  struct {
		IRVersion    int64             `json:"ir_version"`
		Opsets       []model.Opset     `json:"opset_import"`
		Producer     string            `json:"producer_name"`
		ProducerVer  string            `json:"producer_version"`
		GraphName    string            `json:"graph_name"`
		Nodes        int               `json:"node_count_including_subgraphs"`
		Ops          map[string]int    `json:"op_type_histogram_top_level"`
		Inputs       []pyValue         `json:"inputs"`
		Outputs      []pyValue         `json:"outputs"`
		Inits        int               `json:"initializer_count"`
		Sparse       int               `json:"sparse_initializer_count"`
		ValueInfo    int               `json:"value_info_count"`
		Functions    int               `json:"function_count"`
		Metadata     map[string]string `json:"metadata_props"`
		ExternalData []struct {
			Location string `json:"location"`
			Present  bool   `json:"present_in_corpus"`
		} `json:"external_data_files"`
		ExternalTensors int `json:"external_data_tensor_count"`
		FunctionList    []struct {
			Name, Domain string
			Nodes        int `json:"node_count"`
		} `json:"functions"`
	} `json:"facts"`
}

func loadManifest(t testing.TB) (string, []manifestEntry) {
	t.Helper()
	dir := testenv.Corpus(t)
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Facts are decoded per format: the same key has a different shape in
	// other formats' entries.
	var all []struct {
		Format string `json:"format"`
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		t.Fatalf("MANIFEST.json: %v", err)
	}
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatalf("MANIFEST.json: %v", err)
	}
	var onnx []manifestEntry
	for i, e := range all {
		if e.Format != "onnx" {
			continue
		}
		var me manifestEntry
		if err := json.Unmarshal(raws[i], &me); err != nil {
			t.Fatalf("MANIFEST.json entry %d: %v", i, err)
		}
		onnx = append(onnx, me)
	}
	return dir, onnx
}

// manifestType converts the manifest's type notation (ONNX enum names) to
// the facts notation of onnx_facts.py.
func manifestType(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]any{"kind": m["kind"]}
	if et, ok := m["elem_type"].(string); ok {
		out["dtype"] = string(dtypeByName[et])
		out["shape"] = m["shape"]
	}
	if e, ok := m["elem"]; ok {
		out["elem"] = manifestType(e)
	}
	if k, ok := m["key_type"].(string); ok {
		out["key"] = string(dtypeByName[k])
	}
	return out
}

// dtypeByName maps ONNX DataType enum names to numpy spellings.
var dtypeByName = map[string]model.DType{}

func init() {
	names := []string{"", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
		"FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"}
	for i, n := range names {
		dtypeByName[n] = dtypeOf(uint64(i))
	}
}

// TestCorpus opens every ONNX file in the shared corpus and compares it
// with the facts in MANIFEST.json.
func TestCorpus(t *testing.T) {
	dir, entries := loadManifest(t)
	if len(entries) == 0 {
		t.Fatal("no onnx entries in MANIFEST.json")
	}
	// Weight previews are checked against numpy (python3-onnx) when it is
	// installed; the manifest has no weight values.
	var pyCorpus map[string]pyFacts
	if testenv.RequireAll() || pythonAvailable() {
		pyCorpus = loadFacts(t, dir)
	}
	previews := 0
	defer func() { t.Logf("%d weight previews agree with numpy", previews) }()
	for _, e := range entries {
		t.Run(e.Path, func(t *testing.T) {
			path := filepath.Join(dir, e.Path)
			m, err := openFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			f := e.Facts
			var diffs []string
			diff := func(what string, got, want any) {
				if g, w, ok := sameJSON(t, got, want); !ok {
					diffs = append(diffs, what+": got "+g+", want "+w)
				}
			}
			s := model.Summarize(m)
			diff("ir version", m.Version, itoa(f.IRVersion))
			diff("producer", m.Producer, strings.TrimSpace(f.Producer+" "+f.ProducerVer))
			diff("opsets", m.Opsets, f.Opsets)
			diff("graph name", m.Graph.Name, f.GraphName)
			diff("nodes", s.Nodes, f.Nodes)
			diff("ops", s.Ops, f.Ops)
			wantIn, wantOut := []pyValue{}, []pyValue{}
			for _, v := range f.Inputs {
				wantIn = append(wantIn, pyValue{v.Name, manifestType(v.Type)})
			}
			for _, v := range f.Outputs {
				wantOut = append(wantOut, pyValue{v.Name, manifestType(v.Type)})
			}
			diff("inputs", valuesFacts(m.Graph.Inputs), wantIn)
			diff("outputs", valuesFacts(m.Graph.Outputs), wantOut)
			dense, sparse, external, missing := 0, 0, 0, 0
			for _, tn := range m.Graph.Initializers {
				if tn.Sparse {
					sparse++
				} else {
					dense++
				}
				if tn.Location != nil && tn.Location.File != path {
					external++
					if tn.Location.Missing {
						missing++
					}
				}
			}
			diff("initializers", dense, f.Inits)
			diff("sparse initializers", sparse, f.Sparse)
			diff("value info", m.Graph.StoredValueInfo(), f.ValueInfo)
			diff("functions", len(m.Functions), f.Functions)
			for i, fn := range f.FunctionList {
				if i < len(m.Functions) {
					name := fn.Name
					if fn.Domain != "" {
						name = fn.Domain + "::" + fn.Name
					}
					diff("function name", m.Functions[i].Name, name)
					diff("function nodes", len(m.Functions[i].Nodes), fn.Nodes)
				}
			}
			md := m.Metadata
			if md == nil {
				md = map[string]string{}
			}
			diff("metadata", md, f.Metadata)
			diff("external tensors", external, f.ExternalTensors)
			wantFiles := []string{path}
			wantMissing := 0
			for _, x := range f.ExternalData {
				if x.Present {
					wantFiles = append(wantFiles, filepath.Join(filepath.Dir(path), x.Location))
				} else {
					wantMissing = f.ExternalTensors
				}
			}
			diff("files", m.Files, wantFiles)
			diff("missing external tensors", missing, wantMissing)
			if wantMissing > 0 && len(m.Warnings) == 0 {
				diffs = append(diffs, "no warning about the missing external data")
			}
			if wantMissing == 0 && len(m.Warnings) > 0 {
				diffs = append(diffs, "unexpected warnings: "+strings.Join(m.Warnings, "; "))
			}
			if pf, ok := pyCorpus[path]; ok {
				for _, p := range pf.Previews {
					diffs = append(diffs, checkPreview(m, p)...)
				}
				previews += len(pf.Previews)
			}
			for _, d := range diffs {
				t.Error(d)
			}
			// Every tensor with present data previews, or says why not.
			for _, tn := range m.Graph.Initializers {
				if _, err := model.ReadPreview(tn, 8); err != nil && tn.Location != nil && !tn.Location.Missing && tn.Location.Encoding != model.EncOpaque {
					t.Errorf("preview of %q: %v", tn.Name, err)
				}
			}
		})
	}
}
