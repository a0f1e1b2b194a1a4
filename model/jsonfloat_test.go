package model

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestNonFiniteFloatsMarshal(t *testing.T) {
	n := &Node{OpType: "X", Attrs: []Attribute{
		{Name: "a", Type: AttrFloat, Float: math.NaN()},
		{Name: "b", Type: AttrFloats, Floats: []float64{1.5, math.Inf(1), math.Inf(-1)}},
		{Name: "c", Type: AttrInt, Int: 3},
		{Name: "t", Type: AttrTensor, Tensors: []*Tensor{{Name: "w", Quant: &Quantization{Scale: []float64{math.NaN()}, ZeroPoint: []int64{0}}}}},
	}}
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"f":"NaN"`, `"floats":[1.5,"Inf","-Inf"]`, `"i":3`, `"scale":["NaN"]`, `"name":"c"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	if strings.Count(s, `"f":`) != 1 {
		t.Errorf("zero floats must stay omitted: %s", s)
	}
}
