// Package pytorch decodes pytorch model files into the model IR.
package pytorch

import "github.com/modelpeek/modelpeek/model"

// Format returns the registry entry for pytorch files.
//
// PLACEHOLDER: detects nothing until the decoder lands.
func Format() model.Format {
	return model.Format{Name: "pytorch", Detect: func([]byte, int64) model.Confidence { return model.No }}
}
