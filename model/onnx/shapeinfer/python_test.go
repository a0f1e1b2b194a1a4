package shapeinfer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
	"github.com/modelpeek/modelpeek/model/onnx/shapeinfer"
)

// pyShapes is one file's entry in scripts/onnx_shapes.py's output.
type pyShapes struct {
	Values map[string]refValue `json:"values"`
	Alone  map[string]refValue `json:"alone"`
	Error  string              `json:"error"`
}

// tally counts one comparison with python onnx.
type tally struct {
	total, known, sharper int
	// unnamed counts missing values where python onnx has a dim of its
	// own naming (unk__N: "some size") that modelpeek leaves unknown.
	unnamed           int
	disagree, missing []string
}

func (c *tally) String() string {
	return fmt.Sprintf("%d of %d values python onnx infers in full are known (%.1f%%), %d disagreements, %d dims sharper than onnx's unk__; of the %d not known, %d have a dim onnx names unk__ only",
		c.known, c.total, 100*float64(c.known)/float64(max(c.total, 1)), len(c.disagree), c.sharper, len(c.missing), c.unnamed)
}

// TestAgreesWithPythonOnnxLive runs python onnx's infer_shapes (one
// process, scripts/onnx_shapes.py) over every ONNX model of
// libonnx-testdata and every valid ONNX entry of the manifests, and
// compares its fully inferred values twice: with the values
// `inspect --json --graph` prints (model.ExportGraph of the decoded model:
// stored types plus inference),
// and with inference alone (value_info and the outputs' types dropped on
// both sides). Any disagreement fails; each view must know at least
// minCoverage% of python onnx's values.
func TestAgreesWithPythonOnnxLive(t *testing.T) {
	py := pythonWithONNX(t)
	paths := livePaths(t)
	ref := runShapesScript(t, py, paths)
	var decoded, alone tally
	var files, refused int
	for _, p := range paths {
		r, ok := ref[p]
		if !ok || r.Error != "" {
			refused++
			continue
		}
		m, err := onnx.Open(context.Background(), p)
		if err != nil {
			t.Errorf("%s: python onnx infers it, modelpeek refuses: %v", p, err)
			continue
		}
		files++
		compareValues(&decoded, p, graphValues(m), r.Values)
		compareValues(&alone, p, inferAlone(m), r.Alone)
	}
	for _, v := range []struct {
		name string
		c    *tally
	}{{"decoded", &decoded}, {"inference alone", &alone}} {
		t.Logf("%s, %d files (%d python onnx refuses): %s", v.name, files, refused, v.c)
		sort.Strings(v.c.missing)
		for _, s := range v.c.missing[:min(len(v.c.missing), 15)] {
			t.Logf("%s: not known: %s", v.name, s)
		}
		for _, s := range v.c.disagree {
			t.Errorf("%s: %s", v.name, s)
		}
		if v.c.total == 0 || v.c.known*100 < v.c.total*minCoverage {
			t.Errorf("%s: coverage %d of %d is under %d%%", v.name, v.c.known, v.c.total, minCoverage)
		}
	}
}

// compareValues adds one file's values to c.
func compareValues(c *tally, path string, got map[string]*model.Type, want map[string]refValue) {
	for name, w := range want {
		c.total++
		g := got[name]
		if g == nil || g.Kind != model.KindTensor || !full(g.Shape) {
			c.missing = append(c.missing, path+" "+name)
			if slices.ContainsFunc(w.Shape, func(d any) bool { s, ok := d.(string); return ok && strings.HasPrefix(s, "unk__") }) {
				c.unnamed++
			}
			continue
		}
		ok, beyond := agree(g, w)
		if !ok {
			c.disagree = append(c.disagree, fmt.Sprintf("%s %s: modelpeek %s%v, python onnx %s%v", path, name, g.DType, g.Shape, w.DType, w.Shape))
			continue
		}
		c.known++
		if beyond {
			c.sharper++
		}
	}
}

// graphValues are the values `inspect --json --graph` prints: the
// decoded model's GraphData values (stored types plus inference).
func graphValues(m *model.Model) map[string]*model.Type {
	out := map[string]*model.Type{}
	for name, v := range model.ExportGraph(m.Graph).Values {
		out[name] = &model.Type{Kind: model.KindTensor, DType: v.DType, Shape: v.Shape}
	}
	return out
}

// inferAlone infers the main graph with value_info and the outputs'
// types forgotten, as scripts/onnx_shapes.py's "alone" does.
func inferAlone(m *model.Model) map[string]*model.Type {
	g := *m.Graph
	g.ValueInfo = nil
	g.Outputs = make([]*model.Value, len(m.Graph.Outputs))
	for i, v := range m.Graph.Outputs {
		c := *v
		c.Type = nil
		g.Outputs[i] = &c
	}
	var opset int64
	for _, o := range m.Opsets {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			opset = o.Version
		}
	}
	info := shapeinfer.Infer(context.Background(), &g, shapeinfer.Options{DType: onnx.DType, Opset: opset, Functions: shapeinfer.Functions(m)})
	out := map[string]*model.Type{}
	for _, t := range g.Initializers {
		out[t.Name] = info.Type(t.Name)
	}
	for _, v := range g.Inputs {
		out[v.Name] = info.Type(v.Name)
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if t := info.Type(o); t != nil {
				out[o] = t
			}
		}
	}
	return out
}

// livePaths lists every .onnx file under libonnx-testdata and every
// valid ONNX entry of the manifests.
func livePaths(t *testing.T) []string {
	var paths []string
	_ = filepath.WalkDir(filepath.Dir(libonnxTestdata), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".onnx") {
			paths = append(paths, p)
		}
		return nil
	})
	if len(paths) == 0 {
		testenv.Skip(t, "%s has no models (install Debian package libonnx-testdata)", libonnxTestdata)
	}
	for _, e := range testenv.ManifestEntries(t, "onnx", "onnx-external-data") {
		if e.Valid() && strings.HasSuffix(e.Path, ".onnx") {
			paths = append(paths, e.Abs())
		}
	}
	return paths
}

// runShapesScript runs scripts/onnx_shapes.py once over paths.
func runShapesScript(t *testing.T, py string, paths []string) map[string]pyShapes {
	script := filepath.Join(testenv.Root(t), "scripts", "onnx_shapes.py")
	var stderr bytes.Buffer
	cmd := exec.Command(py, script)
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	ref := map[string]pyShapes{}
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatalf("%s output: %v", script, err)
	}
	return ref
}

// pythonWithONNX returns a python3 that imports onnx, skipping (or
// failing under MODELPEEK_REQUIRE_ALL=1) when there is none.
func pythonWithONNX(t *testing.T) string {
	for _, p := range []string{testenv.LookPathOptional("python3"), "/usr/bin/python3"} {
		if p != "" && exec.Command(p, "-c", "import onnx.shape_inference").Run() == nil {
			return p
		}
	}
	testenv.Skip(t, "no python3 with the onnx module (install Debian package python3-onnx)")
	return ""
}
