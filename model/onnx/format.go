// Package onnx decodes onnx model files into the model IR.
package onnx

import "github.com/modelpeek/modelpeek/model"

// Format returns the registry entry for onnx files.
//
// PLACEHOLDER: detects nothing until the decoder lands.
func Format() model.Format {
	return model.Format{Name: "onnx", Detect: func([]byte, int64) model.Confidence { return model.No }}
}
