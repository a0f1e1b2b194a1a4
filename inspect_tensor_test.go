package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// TestInspectTensor checks the --tensor contract on a real file: the keys
// DESIGN.md lists, a histogram whose counts add up to the finite count,
// and a clear error for an unknown name.
func TestInspectTensor(t *testing.T) {
	f := filepath.Join(testenv.Corpus(t), "gguf", "quant", "one-tensor-per-type.gguf")
	code, out, errs := runCLI("inspect", "--json", "--tensor", "q4_k", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "dtype", "shape", "count", "min", "max", "mean", "std", "zeros", "nan", "inf", "histogram", "first"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	h := got["histogram"].(map[string]any)
	var sum float64
	for _, c := range h["counts"].([]any) {
		sum += c.(float64)
	}
	if len(h["edges"].([]any)) != len(h["counts"].([]any))+1 || sum != got["count"].(float64)-got["nan"].(float64)-got["inf"].(float64) {
		t.Errorf("histogram %v does not cover the finite values", h)
	}
	if code, _, errs := runCLI("inspect", "--tensor", "nope", f); code != 1 || errs == "" {
		t.Errorf("unknown tensor: exit %d, stderr %q", code, errs)
	}
}
