package shapeinfer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
)

type refValue struct {
	DType string `json:"dtype"`
	Shape []any  `json:"shape"`
}

// values collects every typed value of the main graph after decoding
// (which runs inference): initializers, inputs, value_info, outputs.
func values(m *model.Model) map[string]*model.Type {
	out := map[string]*model.Type{}
	g := m.Graph
	for _, t := range g.Initializers {
		out[t.Name] = &model.Type{Kind: model.KindTensor, DType: t.DType, Shape: model.ShapeOf(t.Shape)}
	}
	for _, vs := range [][]*model.Value{g.Inputs, g.ValueInfo, g.Outputs} {
		for _, v := range vs {
			if v.Type != nil {
				out[v.Name] = v.Type
			}
		}
	}
	return out
}

// full reports whether every dim of a shape is a number or a name.
func full(s model.Shape) bool {
	if s == nil {
		return false
	}
	for _, d := range s {
		if !d.Known && d.Param == "" {
			return false
		}
	}
	return true
}

// agree applies the corpus README's rule: equal dtype and rank, equal int
// dims, and a name wherever python onnx has a name. onnx's own "unk__N"
// names only say "some dim", so a number there is knowledge beyond onnx,
// counted apart.
func agree(got *model.Type, want refValue) (ok, beyond bool) {
	if facts.NormDType(string(got.DType)) != facts.NormDType(want.DType) || len(got.Shape) != len(want.Shape) {
		return false, false
	}
	for i, w := range want.Shape {
		d := got.Shape[i]
		switch w := w.(type) {
		case float64:
			if !d.Known || d.Size != int64(w) {
				return false, false
			}
		case string:
			if d.Known && strings.HasPrefix(w, "unk__") {
				beyond = true
				continue
			}
			if d.Known || d.Param == "" {
				return false, false
			}
		}
	}
	return true, beyond
}

// TestAgainstPythonOnnx checks every fully inferred value of
// onnx-corpus-shapes.json: no value may disagree; values onnx knows that
// modelpeek does not are counted (coverage), and values modelpeek knows
// in full beyond onnx's are reported.
func TestAgainstPythonOnnx(t *testing.T) {
	corpus := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(corpus, "onnx-corpus-shapes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Models map[string]map[string]refValue `json:"models"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	var total, known, extra, sharper int
	var missing []string
	for path, want := range ref.Models {
		m, err := onnx.Open(context.Background(), filepath.Join(corpus, "onnx", filepath.FromSlash(path)))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		got := values(m)
		for name, w := range want {
			total++
			g := got[name]
			if g == nil || !full(g.Shape) {
				missing = append(missing, fmt.Sprintf("%s %s", path, name))
				continue
			}
			ok, beyond := agree(g, w)
			if !ok {
				t.Errorf("%s %s: got %s%v, python onnx %s%v", path, name, g.DType, g.Shape, w.DType, w.Shape)
				continue
			}
			known++
			if beyond {
				sharper++
			}
		}
		for name, g := range got {
			if _, ok := want[name]; !ok && full(g.Shape) {
				extra++
			}
		}
	}
	sort.Strings(missing)
	for _, s := range missing[:min(len(missing), 30)] {
		t.Logf("not inferred: %s", s)
	}
	t.Logf("%d of %d values python onnx infers in full are known (%.1f%%); %d dims sharper than onnx's unk__; %d values known in full beyond onnx's",
		known, total, 100*float64(known)/float64(total), sharper, extra)
	if total == 0 || known*100 < total*minCoverage {
		t.Errorf("coverage %d of %d is under %d%%", known, total, minCoverage)
	}
}

// minCoverage is the share of python onnx's fully inferred values that
// must be known (the goal is 90).
const minCoverage = 90
