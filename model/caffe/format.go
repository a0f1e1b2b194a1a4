// Package caffe decodes Caffe networks into the model IR: text nets
// (.prototxt, NetParameter in protobuf text format, with V2 "layer" or
// legacy V1 "layers" entries) and trained binary nets (.caffemodel),
// whose blobs become weights located in the file, never loaded.
//
// Layers that rewrite a blob in place (ReLU, BatchNorm, Scale with
// top == bottom) become a chain of value versions, so the graph shows
// them in order. Every input is treated as hostile: lengths are checked,
// nesting is capped and the decoded structure is bounded by file size.
package caffe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/mapfile"
	"github.com/modelpeek/modelpeek/model/internal/prototext"
)

// maxFileSize is protobuf's own limit on a message.
const maxFileSize = 2 << 30

// Format returns the registry entry for Caffe files.
func Format() model.Format {
	return model.Format{
		Name:       "caffe",
		Extensions: []string{".prototxt", ".caffemodel"},
		Detect:     detect,
		Open:       Open,
	}
}

// Open decodes the Caffe net at path. The file is mapped, not read:
// blob data is located and skipped.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	f, err := mapfile.Open(path, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("caffe: %w", err)
	}
	defer f.Close()
	defer mapfile.Recover(&err)
	m, err = decode(ctx, f.Data, path)
	if err != nil {
		return nil, fmt.Errorf("caffe: %w", err)
	}
	return m, nil
}

// decode decodes a net held in memory; path is used for locations and
// to find a companion prototxt.
func decode(ctx context.Context, data []byte, path string) (*model.Model, error) {
	size := int64(len(data))
	head := data[:min(len(data), model.SniffLen)]
	budget := 32*size + 64<<20
	if isText(head, size) {
		tree, err := prototext.Parse(data)
		if err != nil {
			return nil, err
		}
		n, err := textNet(tree, &budget)
		if err != nil {
			return nil, err
		}
		return buildModel(n, false), nil
	}
	if !isBinary(head, size) {
		return nil, fmt.Errorf("not a Caffe net: the file is neither a text nor a binary NetParameter")
	}
	w := &wire{ctx: ctx, path: path, budget: budget}
	n, err := w.netParameter(data)
	if err != nil {
		return nil, err
	}
	m := buildModel(n, true)
	m.Files = append([]string{path}, companions(path)...)
	return m, nil
}

// companions finds the text net shipped beside a .caffemodel (same stem).
func companions(path string) []string {
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	var out []string
	for _, ext := range []string{".prototxt", ".pbtxt"} {
		if st, err := os.Stat(stem + ext); err == nil && st.Mode().IsRegular() {
			out = append(out, stem+ext)
		}
	}
	return out
}
