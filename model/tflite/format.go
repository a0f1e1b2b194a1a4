// Package tflite decodes tflite model files into the model IR.
package tflite

import "github.com/modelpeek/modelpeek/model"

// Format returns the registry entry for tflite files.
//
// PLACEHOLDER: detects nothing until the decoder lands.
func Format() model.Format {
	return model.Format{Name: "tflite", Detect: func([]byte, int64) model.Confidence { return model.No }}
}
