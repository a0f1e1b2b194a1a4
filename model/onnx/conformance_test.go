package onnx

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestConformanceModels opens every model of ONNX's own test suite and
// compares it with what python3-onnx reports.
func TestConformanceModels(t *testing.T) {
	requireDir(t, testdataDir)
	facts := loadFacts(t, testdataDir)
	paths := sortedKeys(facts, "model")
	if len(paths) < 1000 {
		t.Fatalf("only %d models in %s; expected the 1,072 of libonnx-testdata", len(paths), testdataDir)
	}
	failed := 0
	for _, p := range paths {
		m, err := openFile(t, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			failed++
			continue
		}
		if d := checkModel(t, m, facts[p]); len(d) > 0 {
			t.Errorf("%s:\n  %s", p, strings.Join(d, "\n  "))
			failed++
		}
		if failed > 20 {
			t.Fatal("too many failures")
		}
	}
	t.Logf("%d models agree with python3-onnx", len(paths)-failed)
}

// TestConformanceTensors opens every tensor .pb of ONNX's test data sets
// as a single-tensor model and compares its preview with numpy's values.
func TestConformanceTensors(t *testing.T) {
	requireDir(t, testdataDir)
	facts := loadFacts(t, testdataDir)
	paths := sortedKeys(facts, "tensor")
	if len(paths) < 3000 {
		t.Fatalf("only %d tensor files in %s", len(paths), testdataDir)
	}
	failed, previewed := 0, 0
	for _, p := range paths {
		if failed > 20 {
			t.Fatal("too many failures")
		}
		want := facts[p]
		m, err := openFile(t, p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			failed++
			continue
		}
		if len(m.Graph.Initializers) != 1 || len(m.Graph.Nodes) != 0 {
			t.Errorf("%s: %d initializers, %d nodes; want one tensor", p, len(m.Graph.Initializers), len(m.Graph.Nodes))
			failed++
			continue
		}
		tn := m.Graph.Initializers[0]
		if g, w, ok := sameJSON(t, pyTensor{tn.Name, string(tn.DType), tn.Shape}, pyTensor{want.Name, want.DType, orInts(want.Shape)}); !ok {
			t.Errorf("%s: tensor %s, want %s", p, g, w)
			failed++
			continue
		}
		if want.First == nil {
			continue
		}
		pv, err := model.ReadPreview(tn, 16)
		if err != nil {
			if want.Count == 0 && errors.Is(err, model.ErrNoPreview) {
				continue
			}
			t.Errorf("%s: preview: %v", p, err)
			failed++
			continue
		}
		if msg := comparePreview(pv, want); msg != "" {
			t.Errorf("%s (%s, %s): %s", p, tn.DType, tn.Location.Encoding, msg)
			failed++
			continue
		}
		previewed++
	}
	t.Logf("%d tensors agree with python3-onnx, %d previews agree with numpy", len(paths)-failed, previewed)
}

// TestNonTensorDataFiles checks that the sequence and optional .pb files
// of the test data are not taken for tensors.
func TestNonTensorDataFiles(t *testing.T) {
	requireDir(t, testdataDir)
	facts := loadFacts(t, testdataDir)
	paths := sortedKeys(facts, "not-tensor")
	for _, p := range paths {
		if m, err := openFile(t, p); err == nil {
			tn := m.Graph.Initializers[0]
			t.Errorf("%s (a %s) opened as a %s tensor %v", p, facts[p].IOKind, tn.DType, tn.Shape)
		}
	}
	t.Logf("%d sequence/optional files refused as tensors", len(paths))
}

func orInts(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

func sortedKeys(facts map[string]pyFacts, kind string) []string {
	var ps []string
	for p, f := range facts {
		if f.Kind == kind {
			ps = append(ps, p)
		}
	}
	sort.Strings(ps)
	return ps
}

// comparePreview compares a preview with numpy's facts.
func comparePreview(pv *model.Preview, want pyFacts) string {
	if pv.Count != want.Count {
		return fmt.Sprintf("count %d, want %d", pv.Count, want.Count)
	}
	if len(pv.Values) != len(want.First) {
		return fmt.Sprintf("%d values, want %d", len(pv.Values), len(want.First))
	}
	for i, w := range want.First {
		if !close(pv.Values[i], w) {
			return fmt.Sprintf("value %d is %v, want %v (values %v)", i, pv.Values[i], w, pv.Values)
		}
	}
	if pv.Sampled {
		return ""
	}
	if want.Min != nil && (!close(pv.Min, want.Min) || !close(pv.Max, want.Max)) {
		return fmt.Sprintf("min/max %v/%v, want %v/%v", pv.Min, pv.Max, want.Min, want.Max)
	}
	if want.Mean != nil && !close(pv.Mean, want.Mean) {
		return fmt.Sprintf("mean %v, want %v", pv.Mean, want.Mean)
	}
	return ""
}

// close compares a number with a python fact (a number or "NaN"/"Inf").
func close(got float64, want any) bool {
	switch w := want.(type) {
	case string:
		switch w {
		case "NaN":
			return math.IsNaN(got)
		case "Inf":
			return math.IsInf(got, 1)
		case "-Inf":
			return math.IsInf(got, -1)
		}
		return false
	case float64:
		if got == w {
			return true
		}
		return math.Abs(got-w) <= 1e-9*math.Max(math.Abs(w), 1)
	}
	return false
}
