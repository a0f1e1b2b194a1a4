// Package coreml decodes Apple Core ML models into the model IR:
//
//   - .mlmodel files, a CoreML.Specification.Model protobuf (field numbers
//     from apple/coremltools mlmodel/format/*.proto): neural networks as
//     layer graphs with their WeightParams located in the file, pipelines
//     as their member models, ML Programs (MIL) as functions, blocks and
//     operations, any other model type as one node;
//   - .mlpackage directories: the spec named by Manifest.json, with ML
//     Program weights located in weights/weight.bin (blob storage) by
//     reading only each blob's 64-byte header;
//   - .mlmodelc compiled directories: the model.mil text program (or, for
//     compiled neural networks, the layers of model.espresso.net), with
//     the inputs and outputs of metadata.json.
//
// Every file is treated as hostile: lengths are checked against their
// message, nesting is capped, big spec files are walked through a window
// so inline weights are never read, and every list is bounded by the
// bytes that hold it.
package coreml

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// Format returns the registry entry for Core ML models.
func Format() model.Format {
	return model.Format{
		Name:       "coreml",
		Extensions: []string{".mlmodel", ".mlpackage", ".mlmodelc"},
		Detect:     Detect,
		DetectDir:  DetectDir,
		Open:       Open,
	}
}

// Detect recognises a Model protobuf by its start: specificationVersion
// (field 1, a small varint), then a ModelDescription (field 2) whose
// fields are all Core ML description fields, or directly a model type.
// Core ML has no magic bytes, so a match is only Plausible.
func Detect(head []byte, size int64) model.Confidence {
	if size < 4 || len(head) < 4 || head[0] != 0x08 {
		return model.No
	}
	v, n := protowire.ConsumeVarint(head[1:])
	if n < 0 || v == 0 || v > 64 {
		return model.No
	}
	rest := head[1+n:]
	num, typ, m := protowire.ConsumeTag(rest)
	if m < 0 || typ != protowire.BytesType {
		return model.No
	}
	l, k := protowire.ConsumeVarint(rest[m:])
	if k < 0 || l > uint64(size) {
		return model.No
	}
	if _, ok := modelTypes[int32(num)]; ok {
		return model.Plausible
	}
	if num != 2 {
		return model.No
	}
	body := rest[m+k:]
	if uint64(len(body)) > l {
		body = body[:l]
	}
	if descriptionLike(body, int(l) == len(body)) {
		return model.Plausible
	}
	return model.No
}

// descriptionLike checks the start of a ModelDescription: every field
// length-delimited and numbered as in Model.proto. complete says whether b
// holds the whole message.
func descriptionLike(b []byte, complete bool) bool {
	seen := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return !complete && seen > 0
		}
		switch num {
		case 1, 10, 11, 12, 13, 20, 21, 50, 100:
		default:
			return false
		}
		if typ != protowire.BytesType {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return !complete && seen > 0
		}
		seen++
		b = b[n+m:]
	}
	return seen > 0 || complete
}

// DetectDir recognises an .mlpackage (Manifest.json beside a Data folder)
// and a compiled .mlmodelc (model.mil, or coremldata.bin with
// metadata.json).
func DetectDir(dir string) model.Confidence {
	switch {
	case isFile(filepath.Join(dir, "Manifest.json")) &&
		(isDir(filepath.Join(dir, "Data")) || strings.HasSuffix(strings.ToLower(dir), ".mlpackage")):
		return model.Strong
	case isFile(filepath.Join(dir, "model.mil")),
		isFile(filepath.Join(dir, "coremldata.bin")) && isFile(filepath.Join(dir, "metadata.json")):
		return model.Strong
	}
	return model.No
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// Open decodes the Core ML model at path: an .mlmodel file, or an
// .mlpackage / .mlmodelc directory.
func Open(ctx context.Context, path string) (*model.Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var m *model.Model
	switch {
	case !st.IsDir():
		m, err = openSpecFile(ctx, path, wholeFileLimit)
	case isFile(filepath.Join(path, "Manifest.json")):
		m, err = openPackage(ctx, path)
	case isFile(filepath.Join(path, "model.mil")) || isFile(filepath.Join(path, "metadata.json")):
		m, err = openCompiled(ctx, path)
	default:
		err = fmt.Errorf("the folder holds neither Manifest.json (.mlpackage) nor model.mil (.mlmodelc)")
	}
	if err != nil {
		return nil, fmt.Errorf("coreml: %w", err)
	}
	return m, nil
}
