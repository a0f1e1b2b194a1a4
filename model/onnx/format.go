// Package onnx decodes ONNX model files (protobuf ModelProto) and
// standalone TensorProto files into the model IR, without reading weight
// data: tensors record where their bytes are (raw_data, packed float_data,
// varint int64_data, ... or an external data file) and model.ReadPreview
// reads a bounded sample on demand.
//
// The decoder walks the protobuf wire format with protowire. Files up to
// 16 MiB are read whole; bigger ones are read through a 64 KiB window, so
// a length-delimited field is skipped by its length without its content
// ever being read: opening a 2 GiB model with inline weights costs about a
// megabyte of memory. Every input is treated as hostile: lengths are
// checked against their enclosing message, nesting is capped at 100
// levels, the decoded structure at an estimated 256 MiB, names at 1 MiB,
// doc strings and long attribute lists are cut, and external data
// locations are resolved inside the model's folder only (through os.Root).
package onnx

import (
	"context"
	"fmt"

	"github.com/modelpeek/modelpeek/model"
)

// Format returns the registry entry for ONNX files.
func Format() model.Format {
	return model.Format{
		Name:       "onnx",
		Extensions: []string{".onnx", ".pb", ".onnx.pb"},
		Detect: func(head []byte, size int64) model.Confidence {
			if sniff(head, size) == kindNone {
				return model.No
			}
			return model.Plausible
		},
		Open: Open,
	}
}

// Open decodes the ONNX model or standalone tensor at path.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	defer func() {
		if p := recover(); p != nil {
			m = nil
			err = fmt.Errorf("the ONNX decoder failed on this file (internal error: %v)", p)
		}
	}()
	head, size, err := model.ReadHead(path)
	if err != nil {
		return nil, err
	}
	switch sniff(head, size) {
	case kindTensor:
		return decodeFile(ctx, path, true)
	case kindModel:
		return decodeFile(ctx, path, false)
	}
	return nil, fmt.Errorf("not an ONNX model: the file does not start like a protobuf ModelProto or TensorProto")
}

// decodeBytes decodes an in-memory ONNX file; path is only used in
// locations and for resolving external data. Tests and fuzzing use it; it
// does not recover from panics, so that fuzzing finds them.
func decodeBytes(ctx context.Context, data []byte, path string) (*model.Model, error) {
	d := newDecoder(ctx, bytesSource(data), path)
	defer d.closeExternals()
	head := data[:min(len(data), model.SniffLen)]
	switch sniff(head, int64(len(data))) {
	case kindTensor:
		return d.tensorFile()
	case kindModel:
		return d.modelProto()
	}
	return nil, fmt.Errorf("not an ONNX model: the data does not start like a protobuf ModelProto or TensorProto")
}
