package caffe

import (
	"github.com/modelpeek/modelpeek/model"
)

// kind is a field's value type in caffe.proto.
type kind int

const (
	kInt kind = iota
	kUint
	kFloat
	kDouble
	kBool
	kString
	kBytes
	kEnum
	kMessage
)

// fieldDef is one field of a caffe.proto message.
type fieldDef struct {
	name     string
	kind     kind
	ref      string // enum or message type name
	repeated bool
}

// The decoder reads binary and text nets into these structures, then
// builds the IR from them.

// net is a NetParameter.
type net struct {
	name        string
	inputs      []string
	inputShapes [][]int64 // input_shape, one per input
	inputDims   []int64   // legacy input_dim, four per input
	layers      []*layer
	v1, v2      bool
}

// layer is a LayerParameter or a legacy V1LayerParameter.
type layer struct {
	name, typ     string
	bottoms, tops []string
	blobs         []*model.Tensor
	attrs         []model.Attribute
	// shapes are the Input layer's input_param shapes.
	shapes [][]int64
}
