// Package safetensors decodes safetensors model files into the model IR.
package safetensors

import "github.com/modelpeek/modelpeek/model"

// Format returns the registry entry for safetensors files.
//
// PLACEHOLDER: detects nothing until the decoder lands.
func Format() model.Format {
	return model.Format{Name: "safetensors", Detect: func([]byte, int64) model.Confidence { return model.No }}
}
