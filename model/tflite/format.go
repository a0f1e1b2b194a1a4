// Package tflite decodes TensorFlow Lite / LiteRT flatbuffer models
// (schema v3, file identifier "TFL3") into the model IR: every subgraph,
// operator, tensor, quantisation and sparsity description, buffer
// location, signature and metadata entry. Weight bytes are located, never
// read.
package tflite

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// Format returns the registry entry for TFLite files.
func Format() model.Format {
	return model.Format{
		Name:       "tflite",
		Extensions: []string{".tflite", ".lite"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises the "TFL3" file identifier at bytes 4 to 8. A
// flatbuffer without it whose root table looks sound is Plausible, so a
// damaged or pre-identifier .tflite file reaches Open and gets a clear
// error instead of "unknown format".
func Detect(head []byte, size int64) model.Confidence {
	if len(head) < 8 {
		return model.No
	}
	if string(head[4:8]) == "TFL3" {
		return model.Strong
	}
	if looksLikeFlatbuffer(head, size) {
		return model.Plausible
	}
	return model.No
}

func looksLikeFlatbuffer(head []byte, size int64) bool {
	if size < 24 {
		return false
	}
	root := int64(binary.LittleEndian.Uint32(head))
	if root%4 != 0 || root < 8 || root+4 > int64(len(head)) {
		return false
	}
	vt := root - int64(int32(binary.LittleEndian.Uint32(head[root:])))
	if vt < 4 || vt+4 > int64(len(head)) {
		return false
	}
	vtLen := int64(binary.LittleEndian.Uint16(head[vt:]))
	tbLen := int64(binary.LittleEndian.Uint16(head[vt+2:]))
	// A Model table has at most a dozen fields.
	return vtLen >= 4 && vtLen%2 == 0 && vtLen <= 4+2*16 && tbLen >= 4 && root+tbLen <= size
}

// Open decodes the TFLite file at path.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("tflite: the file is damaged (decoder error: %v)", p)
		}
	}()
	src, err := flatbuf.NewSource(f, size)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	out, err := decode(ctx, src, path)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	return out.m, nil
}
