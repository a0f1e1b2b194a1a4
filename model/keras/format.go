// Package keras decodes keras model files into the model IR.
package keras

import "github.com/modelpeek/modelpeek/model"

// Format returns the registry entry for keras files.
//
// PLACEHOLDER: detects nothing until the decoder lands.
func Format() model.Format {
	return model.Format{Name: "keras", Detect: func([]byte, int64) model.Confidence { return model.No }}
}
