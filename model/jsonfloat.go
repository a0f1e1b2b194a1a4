package model

import (
	"encoding/json"
	"math"
)

// JSONNumber is v for encoding/json, with the non-finite values (which a
// JSON number cannot hold) spelled as the strings "NaN", "Inf" and "-Inf".
func JSONNumber(v float64) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return v
}

// jsonNumbers is JSONNumber over a slice; nil stays nil (omitted).
func jsonNumbers(vs []float64) []any {
	if vs == nil {
		return nil
	}
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = JSONNumber(v)
	}
	return out
}

// MarshalJSON encodes the attribute, spelling non-finite floats as the
// strings "NaN", "Inf" and "-Inf" (a hostile or unusual file may hold them,
// and a plain JSON number cannot).
func (a Attribute) MarshalJSON() ([]byte, error) {
	type plain Attribute
	var f any
	if a.Float != 0 {
		f = JSONNumber(a.Float)
	}
	return json.Marshal(struct {
		plain
		Float  any   `json:"f,omitempty"`
		Floats []any `json:"floats,omitempty"`
	}{plain(a), f, jsonNumbers(a.Floats)})
}

// MarshalJSON encodes the parameters, spelling non-finite floats as
// strings like Attribute does.
func (q Quantization) MarshalJSON() ([]byte, error) {
	type plain Quantization
	return json.Marshal(struct {
		plain
		Scale []any `json:"scale,omitempty"`
		Min   []any `json:"min,omitempty"`
		Max   []any `json:"max,omitempty"`
	}{plain(q), jsonNumbers(q.Scale), jsonNumbers(q.Min), jsonNumbers(q.Max)})
}

// MarshalJSON encodes the tensor, spelling non-finite Values as strings
// like Attribute does.
func (t Tensor) MarshalJSON() ([]byte, error) {
	type plain Tensor
	return json.Marshal(struct {
		plain
		Values []any `json:"values,omitempty"`
	}{plain(t), jsonNumbers(t.Values)})
}
