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
// flatbuffer without it is Plausible only when its root table really looks
// like a TFLite Model (schema version 3 in field 0), so a pre-identifier
// .tflite file reaches Open while other flatbuffer formats (ExecuTorch,
// MNN), whose root tables differ, are left alone.
func Detect(head []byte, size int64) model.Confidence {
	if len(head) < 8 {
		return model.No
	}
	if string(head[4:8]) == "TFL3" {
		return model.Strong
	}
	if looksLikeModel(head, size) {
		return model.Plausible
	}
	return model.No
}

// looksLikeModel checks the root table of an identifier-less flatbuffer:
// a sound vtable with at most a dozen or so fields, and field 0 (Model.version)
// stored inline as the uint32 3, the only schema version TFLite writes.
func looksLikeModel(head []byte, size int64) bool {
	if size < 24 {
		return false
	}
	root := int64(binary.LittleEndian.Uint32(head))
	if root%4 != 0 || root < 8 || root+8 > int64(len(head)) {
		return false
	}
	vt := root - int64(int32(binary.LittleEndian.Uint32(head[root:])))
	if vt < 4 || vt+6 > int64(len(head)) {
		return false
	}
	vtLen := int64(binary.LittleEndian.Uint16(head[vt:]))
	tbLen := int64(binary.LittleEndian.Uint16(head[vt+2:]))
	if vtLen < 6 || vtLen%2 != 0 || vtLen > 4+2*16 || tbLen < 8 || root+tbLen > size {
		return false
	}
	vo := int64(binary.LittleEndian.Uint16(head[vt+4:]))
	if vo < 4 || vo+4 > tbLen || root+vo+4 > int64(len(head)) {
		return false
	}
	return binary.LittleEndian.Uint32(head[root+vo:]) == 3
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
