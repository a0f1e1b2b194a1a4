// Package numpy decodes numpy model files into the model IR.
package numpy

import "github.com/modelpeek/modelpeek/model"

// Format returns the registry entry for numpy files.
//
// PLACEHOLDER: detects nothing until the decoder lands.
func Format() model.Format {
	return model.Format{Name: "numpy", Detect: func([]byte, int64) model.Confidence { return model.No }}
}
