package tflite

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
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

type tfliteFacts struct {
	Valid       bool    `json:"valid"`
	Version     uint32  `json:"version"`
	Description *string `json:"description"`
	OpCodes     []struct {
		Builtin    string `json:"builtin"`
		Deprecated int32  `json:"deprecated_builtin_code"`
		Code       int32  `json:"builtin_code"`
		Version    int32  `json:"version"`
		Custom     string `json:"custom_code"`
	} `json:"operator_codes"`
	OpCodesUsed   []string `json:"operator_codes_used"`
	SubgraphCount int      `json:"subgraph_count"`
	Subgraphs     []struct {
		Name          *string        `json:"name"`
		OperatorCount int            `json:"operator_count"`
		TensorCount   int            `json:"tensor_count"`
		Inputs        []string       `json:"inputs"`
		Outputs       []string       `json:"outputs"`
		InputShapes   [][]int64      `json:"input_shapes"`
		InputTypes    []string       `json:"input_types"`
		InputSigs     [][]int64      `json:"input_shape_signatures"`
		OutputShapes  [][]int64      `json:"output_shapes"`
		OpHist        map[string]int `json:"operator_histogram"`
		TypeHist      map[string]int `json:"tensor_type_histogram"`
	} `json:"subgraphs"`
	BufferCount   int64 `json:"buffer_count"`
	InlineBuffers int   `json:"buffers_with_inline_data"`
	OffsetBuffers []any `json:"buffers_with_offset"`
	Metadata      []struct {
		Name   string `json:"name"`
		Buffer int    `json:"buffer"`
	} `json:"metadata"`
	Signatures []struct {
		Key      string   `json:"signature_key"`
		Subgraph int      `json:"subgraph_index"`
		Inputs   []string `json:"inputs"`
		Outputs  []string `json:"outputs"`
	} `json:"signature_defs"`
}

type manifestEntry struct {
	Path   string          `json:"path"`
	Format string          `json:"format"`
	Facts  json.RawMessage `json:"facts"`
}

// manifest returns the corpus directory and every MANIFEST.json entry.
func manifest(t testing.TB) (string, []manifestEntry) {
	dir := testenv.Corpus(t)
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []manifestEntry
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	return dir, all
}

func corpusEntries(t testing.TB) (string, []manifestEntry) {
	dir, all := manifest(t)
	var out []manifestEntry
	for _, e := range all {
		if e.Format == "tflite" {
			out = append(out, e)
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d tflite entries in MANIFEST.json", len(out))
	}
	return dir, out
}

func decodeFile(t *testing.T, path string) (*decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	src, err := flatbuf.NewSource(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return decode(context.Background(), src, path)
}

// TestCorpus checks every TFLite file of the shared corpus against the
// facts a flatc-generated reader computed for it.
func TestCorpus(t *testing.T) {
	dir, entries := corpusEntries(t)
	for _, e := range entries {
		t.Run(e.Path, func(t *testing.T) {
			var f tfliteFacts
			if err := json.Unmarshal(e.Facts, &f); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, e.Path)
			head, _ := os.ReadFile(path)
			conf := Detect(head[:min(len(head), model.SniffLen)], int64(len(head)))
			if !f.Valid {
				_, err := Open(context.Background(), path)
				if err == nil || !strings.Contains(err.Error(), "not a TFLite model") {
					t.Fatalf("invalid file: error %v", err)
				}
				if conf == model.Strong {
					t.Errorf("invalid file detected as Strong")
				}
				return
			}
			if conf != model.Strong {
				t.Errorf("detected %v, want Strong", conf)
			}
			out, err := decodeFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			checkModel(t, out, &f)

			m, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			s := model.Summarize(m)
			if len(f.Subgraphs) > 0 {
				if !maps(s.Ops, f.Subgraphs[0].OpHist) {
					t.Errorf("summary ops %v, want %v", s.Ops, f.Subgraphs[0].OpHist)
				}
				var names []string
				for _, v := range s.Inputs {
					names = append(names, v.Name)
				}
				if len(names) != len(f.Subgraphs[0].Inputs) {
					t.Errorf("summary inputs %v, want %v", names, f.Subgraphs[0].Inputs)
				}
			}
			total := 0
			for _, sg := range f.Subgraphs {
				total += sg.OperatorCount
			}
			if s.Nodes != total {
				t.Errorf("inspect counts %d nodes, want %d: the operators of every subgraph", s.Nodes, total)
			}
		})
	}
}

func checkModel(t *testing.T, out *decoded, f *tfliteFacts) {
	t.Helper()
	d := out.dec
	if out.m.Version != strconv.FormatUint(uint64(f.Version), 10) {
		t.Errorf("version %s, want %d", out.m.Version, f.Version)
	}
	if f.Description != nil && out.m.Description != *f.Description {
		t.Errorf("description %q, want %q", out.m.Description, *f.Description)
	}
	if len(d.opcodes) != len(f.OpCodes) {
		t.Fatalf("%d operator codes, want %d", len(d.opcodes), len(f.OpCodes))
	}
	for i, oc := range f.OpCodes {
		want := oc.Builtin
		if want == "CUSTOM" {
			want = "CUSTOM:" + oc.Custom
		}
		if d.opcodes[i].name != want || d.opcodes[i].version != oc.Version {
			t.Errorf("operator code %d: %s v%d, want %s v%d", i, d.opcodes[i].name, d.opcodes[i].version, want, oc.Version)
		}
	}
	if len(out.subgraphs) != f.SubgraphCount {
		t.Fatalf("%d subgraphs, want %d", len(out.subgraphs), f.SubgraphCount)
	}
	used := map[string]bool{}
	for _, oc := range d.opcodes {
		used[oc.name] = true
	}
	for i, want := range f.Subgraphs {
		g := out.subgraphs[i]
		if want.Name != nil && *want.Name != "" && g.Name != *want.Name {
			t.Errorf("subgraph %d name %q, want %q", i, g.Name, *want.Name)
		}
		if len(g.Nodes) != want.OperatorCount || len(out.valueNames[i]) != want.TensorCount {
			t.Errorf("subgraph %d: %d operators, %d tensors; want %d, %d", i, len(g.Nodes), len(out.valueNames[i]), want.OperatorCount, want.TensorCount)
		}
		if !maps(out.opHist[i], want.OpHist) {
			t.Errorf("subgraph %d operators %v, want %v", i, out.opHist[i], want.OpHist)
		}
		types := map[string]int{}
		for _, v := range g.ValueInfo {
			types[typeName(v.Type.DType)]++
		}
		for _, tn := range g.Initializers {
			types[typeName(tn.DType)]++
		}
		if !maps(types, want.TypeHist) {
			t.Errorf("subgraph %d tensor types %v, want %v", i, types, want.TypeHist)
		}
		checkValues(t, i, "input", g.Inputs, want.Inputs, want.InputShapes, want.InputSigs, want.InputTypes)
		checkValues(t, i, "output", g.Outputs, want.Outputs, want.OutputShapes, nil, nil)
	}
	var usedList []string
	for op := range used {
		usedList = append(usedList, op)
	}
	slices.Sort(usedList)
	if !slices.Equal(usedList, f.OpCodesUsed) && len(f.OpCodesUsed) > 0 {
		t.Errorf("operators used %v, want %v", usedList, f.OpCodesUsed)
	}
	if d.nBuffers != f.BufferCount {
		t.Errorf("%d buffers, want %d", d.nBuffers, f.BufferCount)
	}
	inline, offset := 0, 0
	for i := int64(1); i < d.nBuffers; i++ {
		loc, err := d.buffer(i, "uint8")
		if err != nil {
			t.Fatalf("buffer %d: %v", i, err)
		}
		if loc == nil {
			continue
		}
		if d.Uint64(mustTable(t, d, i), bufferOffset) <= 1 {
			inline++
		} else {
			offset++
		}
	}
	if inline != f.InlineBuffers || offset != len(f.OffsetBuffers) {
		t.Errorf("%d inline and %d offset buffers, want %d and %d", inline, offset, f.InlineBuffers, len(f.OffsetBuffers))
	}
	for _, md := range f.Metadata {
		if _, ok := out.m.Metadata[md.Name]; !ok {
			t.Errorf("metadata %q missing (have %v)", md.Name, out.m.Metadata)
		}
	}
	if len(out.m.Metadata) != len(f.Metadata) {
		t.Errorf("%d metadata entries, want %d", len(out.m.Metadata), len(f.Metadata))
	}
	var sigs []string
	for _, p := range out.m.Properties {
		if k, ok := strings.CutPrefix(p.Name, "signature "); ok {
			sigs = append(sigs, k+" "+p.Value)
		}
	}
	if len(sigs) != len(f.Signatures) {
		t.Fatalf("signatures %q, want %d", sigs, len(f.Signatures))
	}
	for i, s := range f.Signatures {
		if !strings.HasPrefix(sigs[i], s.Key+" subgraph "+strconv.Itoa(s.Subgraph)) {
			t.Errorf("signature %d: %q, want key %s subgraph %d", i, sigs[i], s.Key, s.Subgraph)
		}
		for _, in := range s.Inputs {
			if !strings.Contains(sigs[i], in) {
				t.Errorf("signature %q lacks input %q", sigs[i], in)
			}
		}
	}
	checkSignatures(t, out, f.Signatures)
}

// checkSignatures compares Model.Signatures with the signature facts:
// keys, subgraph indices, input and output names in order, each resolved
// to a tensor of its subgraph; the graph path leads to that subgraph; the
// main graph is serving_default's subgraph when there is one.
func checkSignatures(t *testing.T, out *decoded, want []struct {
	Key      string   `json:"signature_key"`
	Subgraph int      `json:"subgraph_index"`
	Inputs   []string `json:"inputs"`
	Outputs  []string `json:"outputs"`
}) {
	t.Helper()
	got := out.m.Signatures
	if len(got) != len(want) {
		t.Fatalf("%d signatures, want %d", len(got), len(want))
	}
	names := func(vs []model.SignatureValue) []string {
		var ns []string
		for _, v := range vs {
			ns = append(ns, v.Name)
			if v.Tensor == "" || v.DType == "" {
				t.Errorf("signature value %q is not resolved to a typed tensor: %+v", v.Name, v)
			}
		}
		return ns
	}
	for i, w := range want {
		g := got[i]
		if g.Key != w.Key || g.Subgraph != w.Subgraph {
			t.Errorf("signature %d: %s subgraph %d, want %s subgraph %d", i, g.Key, g.Subgraph, w.Key, w.Subgraph)
		}
		if gi, gw := names(g.Inputs), w.Inputs; strings.Join(gi, ",") != strings.Join(gw, ",") {
			t.Errorf("signature %s inputs %q, want %q", g.Key, gi, gw)
		}
		if go_, gw := names(g.Outputs), w.Outputs; strings.Join(go_, ",") != strings.Join(gw, ",") {
			t.Errorf("signature %s outputs %q, want %q", g.Key, go_, gw)
		}
		var target *model.Graph
		switch {
		case g.Graph == "":
			target = out.m.Graph
		case strings.HasPrefix(g.Graph, "f"):
			k, _ := strconv.Atoi(g.Graph[1:])
			target = out.m.Functions[k]
		}
		if target != out.subgraphs[w.Subgraph] {
			t.Errorf("signature %s: graph path %q does not lead to subgraph %d", g.Key, g.Graph, w.Subgraph)
		}
		if w.Key == servingDefault && out.m.Graph != out.subgraphs[w.Subgraph] {
			t.Errorf("the main graph is not serving_default's subgraph %d", w.Subgraph)
		}
	}
}

func mustTable(t *testing.T, d *decoder, i int64) flatbuf.Table {
	tb, ok := d.Elem(d.bufStart, i)
	if !ok {
		t.Fatal(d.Err)
	}
	return tb
}

func checkValues(t *testing.T, sg int, what string, got []*model.Value, names []string, shapes, sigs [][]int64, types []string) {
	t.Helper()
	if len(got) != len(names) {
		t.Errorf("subgraph %d: %d %ss, want %d", sg, len(got), what, len(names))
		return
	}
	for j, v := range got {
		if v.Name != names[j] && !(names[j] == "" && strings.HasPrefix(v.Name, "#")) {
			t.Errorf("subgraph %d %s %d: %q, want %q", sg, what, j, v.Name, names[j])
		}
		if types != nil && typeName(v.Type.DType) != types[j] {
			t.Errorf("subgraph %d %s %q: type %s, want %s", sg, what, v.Name, typeName(v.Type.DType), types[j])
		}
		var sig []int64
		if sigs != nil {
			sig = sigs[j]
		}
		want := model.ShapeOf(shapes[j])
		if sigs == nil && len(v.Type.Shape) == len(want) {
			// Outputs: the facts give no signature; unknown dims may be -1 there.
			for k, dim := range v.Type.Shape {
				if !dim.Known {
					want[k] = model.Dim{}
				}
			}
		}
		if len(sig) == len(want) {
			for k, s := range sig {
				if s < 0 {
					want[k] = model.Dim{}
				}
			}
		}
		if v.Type.Shape.String() != want.String() {
			t.Errorf("subgraph %d %s %q: shape %s, want %s", sg, what, v.Name, v.Type.Shape, want)
		}
	}
}

func typeName(d model.DType) string {
	for i, t := range tensorTypes {
		if t == d {
			return tensorTypeNames[i]
		}
	}
	return string(d)
}

func maps(a, b map[string]int) bool {
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

// TestMainIsServingDefault: the main graph is serving_default's subgraph
// wherever it stands; the others become functions, addressed by path.
func TestMainIsServingDefault(t *testing.T) {
	sigs := []rawSignature{{key: "add", subgraph: 0}, {key: servingDefault, subgraph: 2}, {key: "sub", subgraph: 1}}
	main := mainSubgraph(sigs)
	if main != 2 {
		t.Fatalf("main subgraph %d, want 2", main)
	}
	sgs := make([]subgraph, 3)
	for i := range sgs {
		sgs[i].g = &model.Graph{Name: strconv.Itoa(i)}
	}
	out := &decoded{m: &model.Model{}}
	if err := link(out, sgs, main); err != nil {
		t.Fatal(err)
	}
	if out.m.Graph != sgs[2].g || len(out.m.Functions) != 2 {
		t.Fatalf("main graph %q, %d functions", out.m.Graph.Name, len(out.m.Functions))
	}
	if strings.Join(out.graphPath, ",") != "f0,f1," {
		t.Errorf("graph paths %q", out.graphPath)
	}
	if mainSubgraph(sigs[:1]) != 0 {
		t.Error("without serving_default the main graph is subgraph 0")
	}
}
