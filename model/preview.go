package model

import "errors"

// Preview is a bounded sample of a tensor's values with statistics.
type Preview struct {
	Name  string  `json:"name"`
	DType DType   `json:"dtype"`
	Shape []int64 `json:"shape"`
	// Values holds up to the requested number of leading values, in
	// row-major order, as numbers (booleans as 0/1).
	Values []float64 `json:"values"`
	// Count is the number of elements in the tensor.
	Count int64 `json:"count"`
	// Min, Max and Mean are over the values read (all of them when the
	// tensor is no larger than the statistics budget; see Sampled).
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	// Sampled is set when the statistics cover only a prefix.
	Sampled bool `json:"sampled,omitempty"`
}

// ErrNoPreview is returned for tensors whose values cannot be previewed
// (no data, opaque encoding, non-numeric dtype).
var ErrNoPreview = errors.New("no preview for this tensor")

// ReadPreview reads at most max values of t from its Location, and computes
// statistics over a bounded prefix. It never reads more than a fixed budget
// of bytes, whatever the tensor's size.
//
// PLACEHOLDER until the ONNX work lands.
func ReadPreview(t *Tensor, max int) (*Preview, error) {
	return nil, ErrNoPreview
}
