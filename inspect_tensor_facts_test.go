package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model"
)

// TestInspectTensorAgreesWithFacts runs `inspect --json --tensor` on every
// tensor with a tensor_stats fact (every manifest entry of any format, and
// tensor-stats-existing.json) and compares its output with the fact
// (facts.CompareStats: rel 1e-5 on mean/std, exact counts, first values,
// histogram covering the finite values). The facts must span the formats
// and GGUF types the issue names, so a shrinking corpus cannot pass by
// checking less.
func TestInspectTensorAgreesWithFacts(t *testing.T) {
	formats := map[string]bool{}
	dtypes := map[string]bool{}
	for _, f := range facts.StatsFacts(t) {
		for name, w := range f.Tensors {
			code, out, errs := runCLI("inspect", "--json", "--tensor", name, f.Path)
			if code != 0 {
				t.Errorf("%s %s: exit %d: %s", f.Path, name, code, errs)
				continue
			}
			s, err := decodeStats(out)
			if err != nil {
				t.Errorf("%s %s: %v", f.Path, name, err)
				continue
			}
			for _, p := range facts.CompareStats(s, w) {
				t.Errorf("%s %s (%s): %s", filepath.Base(f.Path), name, w.DType, p)
			}
			formats[f.Format] = true
			dtypes[f.Format+":"+strings.ToLower(w.DType)] = true
		}
	}
	var need []string
	for _, ty := range []string{"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "f16", "bf16"} {
		need = append(need, "gguf:"+ty)
	}
	need = append(need, "safetensors:bf16", "safetensors:f16", "tflite:int8")
	for _, d := range need {
		if !dtypes[d] {
			t.Errorf("no tensor_stats fact for %s (have %v)", d, keys(dtypes))
		}
	}
	if !formats["onnx"] {
		t.Errorf("no tensor_stats fact for an ONNX initializer (have %v)", keys(formats))
	}
	t.Logf("checked %d dtypes over formats %v", len(dtypes), keys(formats))
}

// decodeStats reads --tensor's JSON, where first spells non-finite values
// as "nan", "inf", "-inf".
func decodeStats(out string) (*model.Stats, error) {
	type plain model.Stats
	var v struct {
		plain
		First []any `json:"first"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return nil, err
	}
	s := model.Stats(v.plain)
	s.First = make([]float64, len(v.First))
	for i, x := range v.First {
		switch x := x.(type) {
		case float64:
			s.First[i] = x
		case string:
			s.First[i] = map[string]float64{"nan": math.NaN(), "inf": math.Inf(1), "-inf": math.Inf(-1)}[x]
		}
	}
	return &s, nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
