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
// like a TFLite Model (see looksLikeModel) and bytes 4 to 8 hold no other
// file identifier, so a pre-identifier or damaged .tflite file reaches
// Open while other flatbuffer formats (ExecuTorch, MNN) are left alone.
func Detect(head []byte, size int64) model.Confidence {
	if len(head) < 8 {
		return model.No
	}
	if string(head[4:8]) == "TFL3" {
		return model.Strong
	}
	if !isIdentifier(head[4:8]) && looksLikeModel(head, size) {
		return model.Plausible
	}
	return model.No
}

// isIdentifier reports whether bytes 4 to 8 look like another flatbuffer
// format's file identifier (four printable characters, as "ET12", "BP08").
func isIdentifier(id []byte) bool {
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// looksLikeModel checks the root table of an identifier-less flatbuffer:
// a sound vtable, and either field 0 (Model.version) stored as the uint32
// 3, the schema version TFLite writes, or the layout of pre-identifier
// files: at most the five original Model fields (version, operator_codes,
// subgraphs, description, buffers), with subgraphs present and every
// reference field pointing at an aligned place inside the file.
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
	if vtLen < 6 || vtLen%2 != 0 || vtLen > 4+2*16 || tbLen < 8 || root+tbLen > size || vt+vtLen > int64(len(head)) {
		return false
	}
	slot := func(i int64) int64 { // a field's offset in the table, 0 when absent
		if 4+2*i+2 > vtLen {
			return 0
		}
		o := int64(binary.LittleEndian.Uint16(head[vt+4+2*i:]))
		if o < 4 || root+o+4 > int64(len(head)) {
			return 0
		}
		return o
	}
	if o := slot(0); o != 0 && binary.LittleEndian.Uint32(head[root+o:]) == 3 {
		return true
	}
	if vtLen > 4+2*5 || slot(2) == 0 {
		return false
	}
	for i := int64(1); i < 5; i++ {
		if o := slot(i); o != 0 {
			target := root + o + int64(binary.LittleEndian.Uint32(head[root+o:]))
			if target%4 != 0 || target >= size {
				return false
			}
		}
	}
	return true
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
