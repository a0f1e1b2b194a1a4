package ggml_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/model/ggml"
)

type stat struct {
	DType string  `json:"dtype"`
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	First []any   `json:"first"`
}

// decodeAll dequantises a whole tensor from its file.
func decodeAll(t *testing.T, tn *model.Tensor, k ggml.Block) []float32 {
	t.Helper()
	f, err := os.Open(tn.Location.File)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw := make([]byte, tn.Location.Length)
	if _, err := f.ReadAt(raw, tn.Location.Offset); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(raw)/k.Bytes*k.Values)
	for i := 0; (i+1)*k.Bytes <= len(raw); i++ {
		k.Decode(raw[i*k.Bytes:], out[i*k.Values:])
	}
	return out
}

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*max(math.Abs(b), 1e-30) }

// TestAgainstTensorStats dequantises every block-quantised tensor with
// tensor_stats facts in the manifests and checks count, min, max, mean and
// the first values.
func TestAgainstTensorStats(t *testing.T) {
	checked := 0
	for _, e := range testenv.ManifestEntries(t, "gguf") {
		var facts struct {
			Stats map[string]stat `json:"tensor_stats"`
		}
		if json.Unmarshal(e.Facts, &facts) != nil || len(facts.Stats) == 0 {
			continue
		}
		m, err := all.Registry().Open(context.Background(), e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		for _, tn := range m.Graph.Initializers {
			want, ok := facts.Stats[tn.Name]
			k, known := ggml.Lookup(strings.ToLower(want.DType))
			if !ok || !known {
				continue
			}
			checked++
			vs := decodeAll(t, tn, k)
			lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
			for _, v := range vs {
				lo, hi, sum = min(lo, float64(v)), max(hi, float64(v)), sum+float64(v)
			}
			if int64(len(vs)) != want.Count || !near(lo, want.Min, 1e-6) || !near(hi, want.Max, 1e-6) || !near(sum/float64(len(vs)), want.Mean, 1e-5) {
				t.Errorf("%s %s: count %d min %v max %v mean %v; want %+v", e.Name(), tn.Name, len(vs), lo, hi, sum/float64(len(vs)), want)
			}
			for i, f := range want.First {
				if x, ok := f.(float64); ok && !near(float64(vs[i]), x, 1e-6) {
					t.Errorf("%s %s: value %d = %v, want %v", e.Name(), tn.Name, i, vs[i], x)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no block-quantised tensor with statistics in the manifests")
	}
	t.Logf("%d tensors checked", checked)
}
