package onnx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// testdataDir is where Debian's libonnx-testdata installs ONNX's test suite.
const testdataDir = "/usr/share/libonnx-testdata"

// pythonWithONNX returns a python3 that can import onnx, skipping (or
// failing under MODELPEEK_REQUIRE_ALL=1) when there is none.
func pythonWithONNX(t testing.TB) string {
	t.Helper()
	candidates := []string{}
	if p := testenv.LookPathOptional("python3"); p != "" {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")
	for _, p := range candidates {
		if err := exec.Command(p, "-c", "import onnx").Run(); err == nil {
			return p
		}
	}
	testenv.Skip(t, "no python3 with the onnx module (install Debian package python3-onnx)")
	return ""
}

// pythonAvailable reports whether a python3 with onnx is installed.
func pythonAvailable() bool {
	for _, p := range []string{testenv.LookPathOptional("python3"), "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import onnx").Run() == nil {
			return true
		}
	}
	return false
}

// pyFacts is one file's entry in the output of scripts/onnx_facts.py.
type pyFacts struct {
	Kind     string `json:"kind"`
	Error    string `json:"error"`
	Producer string `json:"producer"`
	IR       int64  `json:"ir_version"`
	Opsets   []model.Opset
	Graph    string         `json:"graph_name"`
	Nodes    int            `json:"nodes"`
	Ops      map[string]int `json:"ops"`
	Inputs   []pyValue      `json:"inputs"`
	Outputs  []pyValue      `json:"outputs"`
	VI       int            `json:"value_info"`
	Inits    []pyTensor     `json:"initializers"`
	Sparse   []pyTensor     `json:"sparse_initializers"`
	Funcs    []struct {
		Name, Domain string
		Nodes        int
	} `json:"functions"`
	Training int               `json:"training_graphs"`
	Metadata map[string]string `json:"metadata"`
	External []string          `json:"external_files"`
	Attrs    [][]any           `json:"node_attrs"`
	Previews []pyFacts         `json:"previews"`

	// standalone tensors
	Name   string  `json:"name"`
	DType  string  `json:"dtype"`
	Shape  []int64 `json:"shape"`
	Count  int64   `json:"count"`
	First  []any   `json:"first"`
	Min    any     `json:"min"`
	Max    any     `json:"max"`
	Mean   any     `json:"mean"`
	IOKind string  `json:"io_kind"`
}

type pyValue struct {
	Name string `json:"name"`
	Type any    `json:"type"`
}

type pyTensor struct {
	Name  string  `json:"name"`
	DType string  `json:"dtype"`
	Shape []int64 `json:"shape"`
}

var factsCache sync.Map // root -> map[string]pyFacts

// loadFacts runs scripts/onnx_facts.py over root.
func loadFacts(t testing.TB, root string) map[string]pyFacts {
	t.Helper()
	if v, ok := factsCache.Load(root); ok {
		return v.(map[string]pyFacts)
	}
	py := pythonWithONNX(t)
	script := filepath.Join(testenv.Root(t), "scripts", "onnx_facts.py")
	var stderr bytes.Buffer
	cmd := exec.Command(py, script, root)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, root, err, stderr.String())
	}
	facts := map[string]pyFacts{}
	if err := json.Unmarshal(out, &facts); err != nil {
		t.Fatalf("facts JSON: %v", err)
	}
	factsCache.Store(root, facts)
	return facts
}

// typeFacts renders a type the way onnx_facts.py does.
func typeFacts(t *model.Type) any {
	if t == nil {
		return nil
	}
	m := map[string]any{"kind": string(t.Kind)}
	switch t.Kind {
	case model.KindTensor, model.KindSparseTensor:
		m["dtype"] = string(t.DType)
		m["shape"] = shapeFacts(t.Shape)
	case model.KindSequence, model.KindOptional:
		m["elem"] = typeFacts(t.Elem)
	case model.KindMap:
		m["key"] = string(t.Key)
		m["elem"] = typeFacts(t.Elem)
	}
	return m
}

func shapeFacts(s model.Shape) any {
	if s == nil {
		return nil
	}
	out := []any{}
	for _, d := range s {
		switch {
		case d.Known:
			out = append(out, d.Size)
		case d.Param != "":
			out = append(out, d.Param)
		default:
			out = append(out, nil)
		}
	}
	return out
}

// sameJSON compares two values by their JSON encodings.
func sameJSON(t testing.TB, a, b any) (string, string, bool) {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	// Round-trip both through any so number spellings and key order agree.
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	ja, _ = json.Marshal(va)
	jb, _ = json.Marshal(vb)
	return string(ja), string(jb), bytes.Equal(ja, jb)
}

// checkModel compares a decoded model with python's facts and returns the
// differences.
func checkModel(t testing.TB, m *model.Model, want pyFacts) []string {
	var diffs []string
	diff := func(what string, got, want any) {
		if g, w, ok := sameJSON(t, got, want); !ok {
			diffs = append(diffs, what+": got "+g+", want "+w)
		}
	}
	diff("producer", m.Producer, want.Producer)
	diff("ir version", m.Version, itoa(want.IR))
	opsets := m.Opsets
	if opsets == nil {
		opsets = []model.Opset{}
	}
	diff("opsets", opsets, want.Opsets)
	diff("graph name", m.Graph.Name, want.Graph)
	s := model.Summarize(m)
	diff("nodes", s.Nodes, want.Nodes)
	diff("ops", s.Ops, want.Ops)
	diff("inputs", valuesFacts(m.Graph.Inputs), want.Inputs)
	diff("outputs", valuesFacts(m.Graph.Outputs), want.Outputs)
	diff("value_info", m.Graph.StoredValueInfo(), want.VI)
	var dense, sparse []pyTensor
	for _, tn := range m.Graph.Initializers {
		pt := pyTensor{Name: tn.Name, DType: string(tn.DType), Shape: tn.Shape}
		if tn.Sparse {
			sparse = append(sparse, pt)
		} else {
			dense = append(dense, pt)
		}
	}
	diff("initializers", orEmpty(dense), orEmpty(want.Inits))
	diff("sparse initializers", orEmpty(sparse), orEmpty(want.Sparse))
	diff("functions+training", len(m.Functions), len(want.Funcs)+want.Training)
	for i, f := range want.Funcs {
		if i < len(m.Functions) {
			diff("function nodes", len(m.Functions[i].Nodes), f.Nodes)
		}
	}
	md := m.Metadata
	if md == nil {
		md = map[string]string{}
	}
	diff("metadata", md, want.Metadata)
	if len(want.Attrs) == len(m.Graph.Nodes) {
		for i, n := range m.Graph.Nodes {
			diff(fmt.Sprintf("node %d (%s) attributes", i, n.OpType), attrsFacts(n.Attrs, want.Attrs[i]), want.Attrs[i])
		}
	}
	for _, p := range want.Previews {
		diffs = append(diffs, checkPreview(m, p)...)
	}
	return diffs
}

// checkPreview compares an initializer's preview with numpy's values.
func checkPreview(m *model.Model, want pyFacts) []string {
	for _, tn := range m.Graph.Initializers {
		if tn.Name != want.Name || tn.Sparse {
			continue
		}
		pv, err := model.ReadPreview(tn, 8)
		if err != nil {
			if want.Count == 0 || (tn.Location != nil && tn.Location.Encoding == model.EncOpaque) {
				return nil // nothing to show, or unpacked data (not previewed by design)
			}
			return []string{fmt.Sprintf("preview of %q: %v", tn.Name, err)}
		}
		if msg := comparePreview(pv, want); msg != "" {
			return []string{fmt.Sprintf("preview of %q (%s, %s): %s", tn.Name, tn.DType, tn.Location.Encoding, msg)}
		}
		return nil
	}
	return []string{fmt.Sprintf("no initializer %q to preview", want.Name)}
}

// attrTypeNames maps IR attribute types to ONNX AttributeType names.
var attrTypeNames = map[model.AttrType]string{
	model.AttrFloat: "FLOAT", model.AttrInt: "INT", model.AttrString: "STRING",
	model.AttrFloats: "FLOATS", model.AttrInts: "INTS", model.AttrStrings: "STRINGS",
	model.AttrTensor: "TENSOR", model.AttrTensors: "TENSORS", model.AttrGraph: "GRAPH",
	model.AttrGraphs: "GRAPHS", model.AttrType_: "TYPE_PROTO", model.AttrTypes: "TYPE_PROTOS",
}

// attrsFacts renders decoded attributes as onnx_facts.py does. Where
// python reports an UNDEFINED type (IR version 1 files), the decoded
// attribute (whose type is inferred) is rendered as python's.
func attrsFacts(attrs []model.Attribute, want []any) []any {
	out := []any{}
	for i, a := range attrs {
		if i < len(want) {
			if w, ok := want[i].([]any); ok && len(w) == 4 && w[1] == "UNDEFINED" {
				out = append(out, w)
				continue
			}
		}
		name := attrTypeNames[a.Type]
		var v any
		switch a.Type {
		case model.AttrFloat:
			v = pyNum(a.Float)
		case model.AttrInt:
			v = a.Int
		case model.AttrString:
			v = pyText(a.String)
		case model.AttrFloats:
			fs := []any{}
			for _, f := range a.Floats[:min(len(a.Floats), 64)] {
				fs = append(fs, pyNum(f))
			}
			v = fs
		case model.AttrInts:
			v = append([]int64{}, a.Ints[:min(len(a.Ints), 64)]...)
		case model.AttrStrings:
			ss := []string{}
			for _, s := range a.Strings[:min(len(a.Strings), 64)] {
				ss = append(ss, pyText(s))
			}
			v = ss
		case model.AttrTensor:
			t := a.Tensors[0]
			if t.Sparse {
				name = "SPARSE_TENSOR"
			}
			v = []any{t.Name, t.DType, t.Shape}
		case model.AttrTensors:
			ts := []any{}
			for _, t := range a.Tensors {
				ts = append(ts, []any{t.Name, t.DType, t.Shape})
			}
			v = ts
		case model.AttrGraph:
			v = []any{a.Graphs[0].Name, len(a.Graphs[0].Nodes)}
		case model.AttrGraphs:
			gs := []any{}
			for _, g := range a.Graphs {
				gs = append(gs, []any{g.Name, len(g.Nodes)})
			}
			v = gs
		case model.AttrType_:
			v = typeFacts(a.Types[0])
		case model.AttrTypes:
			ts := []any{}
			for _, t := range a.Types {
				ts = append(ts, typeFacts(t))
			}
			v = ts
		}
		out = append(out, []any{a.Name, name, a.RefName, v})
	}
	return out
}

// pyNum spells a number as onnx_facts.py's num does.
func pyNum(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return f
}

// pyText decodes bytes as python's decode("utf-8", "replace")[:200] does
// for valid text, replacing each invalid byte.
func pyText(s string) string {
	var b strings.Builder
	n := 0
	for len(s) > 0 && n < 200 {
		r, size := utf8.DecodeRuneInString(s)
		b.WriteRune(r)
		s = s[size:]
		n++
	}
	return b.String()
}

func orEmpty(ts []pyTensor) []pyTensor {
	if ts == nil {
		return []pyTensor{}
	}
	return ts
}

func valuesFacts(vs []*model.Value) []pyValue {
	out := []pyValue{}
	for _, v := range vs {
		out = append(out, pyValue{Name: v.Name, Type: typeFacts(v.Type)})
	}
	return out
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func openFile(t testing.TB, path string) (*model.Model, error) {
	t.Helper()
	return Open(context.Background(), path)
}

func requireDir(t testing.TB, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		testenv.Skip(t, "%s not found (install Debian package libonnx-testdata)", dir)
	}
}
