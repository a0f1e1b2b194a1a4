package opschema_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
	"github.com/modelpeek/modelpeek/model/onnx/opschema"
)

func table(t *testing.T) *opschema.Table {
	t.Helper()
	tb, err := opschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestLookupPicksVersion checks version selection on Conv and Resize,
// whose versions the table must hold: the newest version not above the
// opset, none below the first, the newest for opset 0.
func TestLookupPicksVersion(t *testing.T) {
	tb := table(t)
	for _, op := range []string{"Conv", "Resize", "Softmax"} {
		vs := tb.Versions("", op)
		if len(vs) < 2 {
			t.Fatalf("%s: versions %v", op, vs)
		}
		for i, v := range vs {
			for _, opset := range []int64{v, v + 1} {
				want := v
				if i+1 < len(vs) && opset >= vs[i+1] {
					want = vs[i+1]
				}
				s, ok := tb.Lookup("ai.onnx", op, opset)
				if !ok || s.Since != want || s.Name != op {
					t.Errorf("Lookup(%s, %d) = %v %v, want since %d", op, opset, s, ok, want)
				}
			}
		}
		if _, ok := tb.Lookup("", op, vs[0]-1); ok && vs[0] > 1 {
			t.Errorf("%s found at opset %d, before its first version %d", op, vs[0]-1, vs[0])
		}
		if s, ok := tb.Lookup("", op, 0); !ok || s.Since != vs[len(vs)-1] {
			t.Errorf("%s at opset 0: %v, want the newest", op, s)
		}
	}
	if m := tb.MaxOpset("ai.onnx"); m < 17 || m != tb.MaxOpset("") {
		t.Errorf("MaxOpset of the default domain: %d", m)
	}
	if m := tb.MaxOpset("com.example"); m != 0 {
		t.Errorf("MaxOpset of an unknown domain: %d", m)
	}
	if _, ok := tb.Lookup("", "NoSuchOp", 13); ok {
		t.Error("an unknown operator resolved")
	}
	if u := opschema.URL("", "Conv"); u != "https://onnx.ai/onnx/operators/onnx__Conv.html" {
		t.Errorf("URL %s", u)
	}
	if u := opschema.URL("ai.onnx.ml", "LinearClassifier"); u != "https://onnx.ai/onnx/operators/onnx_aionnxml_LinearClassifier.html" {
		t.Errorf("URL %s", u)
	}
}

// pySchema is one schema as the python snippet below prints it, read from
// python onnx's OpSchema directly (not through the generator).
type pySchema struct {
	Domain, Name    string
	Since           int64
	Inputs, Outputs [][3]any // name, type string, option number
	Attrs           [][3]any // name, type number, required
	Constraints     [][2]any // param, allowed types
	Defaults        map[string]any
}

const pySnippet = `
import json, onnx
from onnx import defs, helper
out = []
for s in defs.get_all_schemas_with_history():
    io = lambda ps: [[p.name, p.typeStr, int(p.option.value)] for p in ps]
    d = {}
    for n, a in s.attributes.items():
        if a.default_value is not None and a.default_value.type != 0 and a.default_value.type in (1, 2, 3, 6, 7, 8):
            v = helper.get_attribute_value(a.default_value)
            d[n] = v.decode() if isinstance(v, bytes) else [x.decode() if isinstance(x, bytes) else x for x in v] if isinstance(v, list) else v
    out.append({"Domain": s.domain, "Name": s.name, "Since": s.since_version,
        "Inputs": io(s.inputs), "Outputs": io(s.outputs),
        "Attrs": [[n, int(a.type.value), a.required] for n, a in sorted(s.attributes.items())],
        "Constraints": [[c.type_param_str, list(c.allowed_type_strs)] for c in s.type_constraints],
        "Defaults": d})
print(json.dumps({"version": onnx.__version__, "schemas": out}))
`

// TestAgreesWithPythonOnnx reads every schema from the installed python
// onnx and compares it with the embedded table: the same operator
// versions, inputs and outputs (names, types, options), attributes
// (names, types, required), constraints and the defaults of scalar and
// list attributes.
func TestAgreesWithPythonOnnx(t *testing.T) {
	py := pythonWithONNX(t)
	out, err := exec.Command(py, "-c", pySnippet).Output()
	if err != nil {
		t.Fatalf("python onnx: %v", err)
	}
	var ref struct {
		Version string
		Schemas []pySchema
	}
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	tb := table(t)
	if ref.Version != tb.OnnxVersion {
		testenv.Skip(t, "the table comes from onnx %s, python has %s: run go generate ./model/onnx/opschema", tb.OnnxVersion, ref.Version)
	}
	if tb.Len() != len(ref.Schemas) {
		t.Errorf("table has %d operator versions, python onnx %d", tb.Len(), len(ref.Schemas))
	}
	for _, w := range ref.Schemas {
		s, ok := tb.Lookup(w.Domain, w.Name, w.Since)
		if !ok || s.Since != w.Since {
			t.Errorf("%s %s v%d: not in the table", w.Domain, w.Name, w.Since)
			continue
		}
		for _, d := range diffSchema(s, w) {
			t.Errorf("%s %s v%d: %s", w.Domain, w.Name, w.Since, d)
		}
	}
	t.Logf("%d operator versions of onnx %s agree", len(ref.Schemas), ref.Version)
}

// options are FormalParameterOption's values in python onnx.
var options = map[float64]string{0: "single", 1: "optional", 2: "variadic"}

// attrTypes are AttributeProto.AttributeType numbers.
var attrTypes = map[float64]string{0: "undefined", 1: "float", 2: "int", 3: "string", 4: "tensor", 5: "graph", 6: "floats", 7: "ints", 8: "strings",
	9: "tensors", 10: "graphs", 11: "sparse_tensor", 12: "sparse_tensors", 13: "type_proto", 14: "type_protos"}

func diffSchema(s *opschema.Schema, w pySchema) []string {
	var bad []string
	params := func(what string, got []opschema.Param, want [][3]any) {
		var g, wn []string
		for _, p := range got {
			g = append(g, p.Name+":"+p.Type+":"+p.Option)
		}
		for _, p := range want {
			wn = append(wn, fmt.Sprintf("%v:%v:%s", p[0], p[1], options[p[2].(float64)]))
		}
		if strings.Join(g, ",") != strings.Join(wn, ",") {
			bad = append(bad, fmt.Sprintf("%s %v, python %v", what, g, wn))
		}
	}
	params("inputs", s.Inputs, w.Inputs)
	params("outputs", s.Outputs, w.Outputs)
	var ga, wa []string
	for _, a := range s.Attributes {
		ga = append(ga, fmt.Sprintf("%s:%s:%v", a.Name, a.Type, a.Required))
		if d, ok := w.Defaults[a.Name]; ok && !sameDefault(normJSON(a.Default), normJSON(d)) {
			bad = append(bad, fmt.Sprintf("attribute %s default %v, python %v", a.Name, a.Default, d))
		}
	}
	for _, a := range w.Attrs {
		wa = append(wa, fmt.Sprintf("%v:%s:%v", a[0], attrTypes[a[1].(float64)], a[2]))
	}
	if strings.Join(ga, ",") != strings.Join(wa, ",") {
		bad = append(bad, fmt.Sprintf("attributes %v, python %v", ga, wa))
	}
	var gc, wc []string
	for _, c := range s.Constraints {
		gc = append(gc, fmt.Sprint(c.Param, c.Allowed))
	}
	for _, c := range w.Constraints {
		wc = append(wc, fmt.Sprint(c[0], c[1]))
	}
	if strings.Join(gc, ";") != strings.Join(wc, ";") {
		bad = append(bad, fmt.Sprintf("constraints %v, python %v", gc, wc))
	}
	return bad
}

// sameDefault compares default values; floats (float32 attributes the
// table spells shortest) within float32 precision.
func sameDefault(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && math.Abs(g-w) <= 1e-7*math.Abs(w)
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameDefault(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

// normJSON makes a value comparable whatever decoded it.
func normJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// TestCorpusOpsResolve checks that every operator of a standard domain
// used by a libonnx-testdata model or a valid ONNX manifest entry (main
// graph, subgraphs and functions) resolves at the model's opset.
func TestCorpusOpsResolve(t *testing.T) {
	tb := table(t)
	var paths []string
	_ = filepath.WalkDir("/usr/share/libonnx-testdata", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".onnx") {
			paths = append(paths, p)
		}
		return nil
	})
	if len(paths) == 0 {
		testenv.Skip(t, "no libonnx-testdata models (install Debian package libonnx-testdata)")
	}
	for _, e := range testenv.ManifestEntries(t, "onnx", "onnx-external-data") {
		if e.Valid() && strings.HasSuffix(e.Path, ".onnx") {
			paths = append(paths, e.Abs())
		}
	}
	ops := map[string]bool{}
	for _, p := range paths {
		m, err := onnx.Open(context.Background(), p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		opsets := map[string]int64{}
		for _, o := range m.Opsets {
			opsets[opschema.NormDomain(o.Domain)] = o.Version
		}
		graphs := append([]*model.Graph{m.Graph}, m.Functions...)
		for len(graphs) > 0 {
			g := graphs[0]
			graphs = graphs[1:]
			for _, n := range g.Nodes {
				graphs = append(graphs, n.Subgraphs()...)
				d := opschema.NormDomain(n.Domain)
				if !standard[d] {
					continue
				}
				ops[d+"::"+n.OpType] = true
				if _, ok := tb.Lookup(d, n.OpType, opsets[d]); !ok {
					t.Errorf("%s: %s %s at opset %d does not resolve (versions %v)", p, d, n.OpType, opsets[d], tb.Versions(d, n.OpType))
				}
			}
		}
	}
	t.Logf("%d models, %d distinct standard operators resolve", len(paths), len(ops))
}

// standard are the domains the table holds.
var standard = map[string]bool{"": true, "ai.onnx.ml": true, "ai.onnx.preview.training": true}

// pythonWithONNX returns a python3 that imports onnx, skipping (or
// failing under MODELPEEK_REQUIRE_ALL=1) when there is none.
func pythonWithONNX(t *testing.T) string {
	for _, p := range []string{testenv.LookPathOptional("python3"), "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import onnx.defs").Run() == nil {
			return p
		}
	}
	testenv.Skip(t, "no python3 with the onnx module (install Debian package python3-onnx)")
	return ""
}
