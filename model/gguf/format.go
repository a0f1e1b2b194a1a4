// Package gguf decodes gguf model files into the model IR.
package gguf

import "github.com/modelpeek/modelpeek/model"

// Format returns the registry entry for gguf files.
//
// PLACEHOLDER: detects nothing until the decoder lands.
func Format() model.Format {
	return model.Format{Name: "gguf", Detect: func([]byte, int64) model.Confidence { return model.No }}
}
