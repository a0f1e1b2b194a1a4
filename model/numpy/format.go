// Package numpy decodes NumPy .npy arrays and .npz archives into the model
// IR. Headers are parsed as Python literals without evaluating them,
// object arrays are described but never unpickled, and array data is never
// read.
package numpy

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// Format returns the registry entry for .npy and .npz files.
func Format() model.Format {
	return model.Format{
		Name:       "numpy",
		Extensions: []string{".npy", ".npz"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises a .npy file by its magic, and an .npz archive by a zip
// whose first entry is a .npy member (PyTorch and Keras files are zips too,
// with other entries).
func Detect(head []byte, size int64) model.Confidence {
	if bytes.HasPrefix(head, []byte(npyMagic)) {
		return model.Strong
	}
	if firstZipEntryIsNPY(head) {
		return model.Strong
	}
	return model.No
}

// firstZipEntryIsNPY reads the name of the zip local file header at the
// start of head.
func firstZipEntryIsNPY(head []byte) bool {
	if len(head) < 30 || string(head[:4]) != "PK\x03\x04" {
		return false
	}
	n := int(binary.LittleEndian.Uint16(head[26:28]))
	if len(head) < 30+n {
		return false
	}
	return strings.HasSuffix(string(head[30:30+n]), ".npy")
}

// Open decodes the .npy or .npz file at path.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	defer func() {
		// A last resort: a decoder bug must not take the app down.
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("numpy decoder failed on this file (internal error: %v)", p)
		}
	}()
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decode(ctx, f, size, path)
}

// decode decodes a .npy or .npz held by r.
func decode(ctx context.Context, r io.ReaderAt, size int64, path string) (*model.Model, error) {
	var magic [6]byte
	n, _ := r.ReadAt(magic[:], 0)
	m := &model.Model{Format: "numpy", Files: []string{path}}
	var tensors []*model.Tensor
	switch {
	case string(magic[:n]) == npyMagic:
		h, err := readHeader(io.NewSectionReader(r, 0, size), size)
		if err != nil {
			return nil, err
		}
		if h.nbytes > size-h.dataOffset {
			return nil, fmt.Errorf(".npy array %s %v needs %d bytes but the file holds %d after its header: the file is truncated", h.dtype.name, h.shape, h.nbytes, size-h.dataOffset)
		}
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		tensors = append(tensors, h.tensor(name, path, h.dataOffset, false))
		m.Version = h.version
		if tail := size - h.dataOffset - max(h.nbytes, 0); h.nbytes >= 0 && tail > 0 {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%d bytes after the array data belong to nothing", tail))
		}
	case n >= 2 && string(magic[:2]) == "PK":
		ts, warnings, err := parseNPZ(ctx, r, size, path)
		if err != nil {
			return nil, err
		}
		tensors = ts
		m.Warnings = warnings
	default:
		return nil, fmt.Errorf("not a NumPy file (neither .npy magic nor a zip archive)")
	}
	objects := 0
	for _, t := range tensors {
		if t.DType == "object" {
			objects++
		}
	}
	switch {
	case objects == 1:
		m.Warnings = append(m.Warnings, "an object array holds pickled Python objects; it is described but never loaded")
	case objects > 1:
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d object arrays hold pickled Python objects; they are described but never loaded", objects))
	}
	m.Graph = hier.Build(tensors, hier.Options{
		LeafOp:     "Array",
		Category:   "data",
		Separators: "./",
		KeepOrder:  true,
		NoEdges:    true,
		Doc:        "Arrays grouped by name, in file order; " + llm.WeightsOnlyNote + ".",
	})
	m.Properties = []model.Property{{Name: "Arrays", Value: strconv.Itoa(len(tensors))}}
	if len(tensors) > 0 {
		m.Properties = append(m.Properties, model.Property{Name: "graph", Value: llm.WeightsOnlyNote})
	}
	return m, nil
}
