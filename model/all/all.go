// Package all assembles the registry of every model format modelpeek reads.
package all

import (
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/caffe"
	"github.com/modelpeek/modelpeek/model/coreml"
	"github.com/modelpeek/modelpeek/model/darknet"
	"github.com/modelpeek/modelpeek/model/executorch"
	"github.com/modelpeek/modelpeek/model/gguf"
	"github.com/modelpeek/modelpeek/model/keras"
	"github.com/modelpeek/modelpeek/model/mlir"
	"github.com/modelpeek/modelpeek/model/mnn"
	"github.com/modelpeek/modelpeek/model/ncnn"
	"github.com/modelpeek/modelpeek/model/numpy"
	"github.com/modelpeek/modelpeek/model/onnx"
	"github.com/modelpeek/modelpeek/model/openvino"
	"github.com/modelpeek/modelpeek/model/paddle"
	"github.com/modelpeek/modelpeek/model/pt2"
	"github.com/modelpeek/modelpeek/model/pytorch"
	"github.com/modelpeek/modelpeek/model/safetensors"
	"github.com/modelpeek/modelpeek/model/tensorflow"
	"github.com/modelpeek/modelpeek/model/tfjs"
	"github.com/modelpeek/modelpeek/model/tflite"
)

// Registry returns a new registry holding every format, most specific
// magic first.
func Registry() *model.Registry {
	r := &model.Registry{}
	for _, f := range []model.Format{
		gguf.Format(),
		executorch.Format(),
		tflite.Format(),
		mnn.Format(),
		safetensors.Format(),
		numpy.Format(),
		pt2.Format(),
		pytorch.Format(),
		paddle.Format(),
		keras.Format(),
		tfjs.Format(),
		openvino.Format(),
		tensorflow.Format(),
		caffe.Format(),
		ncnn.Format(),
		darknet.Format(),
		mlir.Format(),
		onnx.Format(),
		coreml.Format(),
	} {
		r.Register(f)
	}
	return r
}
