// Package tensorflow decodes TensorFlow graph files into the model IR:
// frozen GraphDefs (.pb) and their text form (.pbtxt), MetaGraphDefs
// (.meta), and SavedModels (saved_model.pb / .pbtxt, or the folder).
//
// The main graph is the GraphDef, the MetaGraph's graph, or for a
// SavedModel the graph of the first MetaGraph tagged "serve". Library
// functions become subgraphs of the nodes that call them (the While and
// If bodies, StatefulPartitionedCall targets); Const tensors point into
// the file, and a SavedModel's variables point into its checkpoint
// shards through variables/variables.index. Every input is treated as
// hostile: protobuf lengths are checked, nesting is capped, and the
// decoded structure is bounded by the file's size.
package tensorflow

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

// Format returns the registry entry for TensorFlow files.
func Format() model.Format {
	return model.Format{
		Name:       "tensorflow",
		Extensions: []string{".pb", ".pbtxt", ".meta"},
		Detect:     detect,
		DetectDir:  detectDir,
		Open:       Open,
	}
}

// Open decodes the TensorFlow file (or SavedModel folder) at path. The
// file is mapped, not read: Const tensor bytes are located and skipped.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		p := savedModelFile(path)
		if p == "" {
			return nil, fmt.Errorf("tensorflow: the folder holds no saved_model.pb")
		}
		path = p
	}
	f, err := mapfile.Open(path, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("tensorflow: %w", err)
	}
	defer f.Close()
	defer mapfile.Recover(&err)
	m, err = decode(ctx, f.Data, path)
	if err != nil {
		return nil, fmt.Errorf("tensorflow: %w", err)
	}
	return m, nil
}

// decode decodes a file held in memory; path names it (for locations,
// the kind by name, and the variables folder).
func decode(ctx context.Context, data []byte, path string) (*model.Model, error) {
	size := int64(len(data))
	head := data[:min(len(data), model.SniffLen)]
	w := newWire(ctx, path, size)
	if k := textKind(head, size); k != kindNone {
		return decodeText(w, data, k)
	}
	base := strings.ToLower(filepath.Base(path))
	k := binaryKind(head, size)
	switch {
	case base == "saved_model.pb":
		k = kindSaved
	case strings.HasSuffix(base, ".meta") && k != kindNone:
		k = kindMeta
	}
	switch k {
	case kindSaved:
		sm, err := w.savedModel(data)
		if err != nil {
			return nil, err
		}
		return assembleSaved(w, sm, "saved_model")
	case kindMeta:
		mg, err := w.metaGraph(data, 0, 0)
		if err != nil {
			return nil, err
		}
		return assembleMeta(mg, "meta_graph")
	case kindGraph:
		g, err := w.graphDef(data, 0, 0)
		if err != nil {
			return nil, err
		}
		return assembleGraph(g, "graph_def"), nil
	}
	return nil, fmt.Errorf("not a TensorFlow graph: the file does not start like a GraphDef, MetaGraphDef or SavedModel")
}

// decodeText decodes a text-format file of kind k.
func decodeText(w *wire, data []byte, k kind) (*model.Model, error) {
	tree, err := prototext.Parse(data)
	if err != nil {
		return nil, err
	}
	t := &text{w: w}
	switch k {
	case kindSaved:
		sm, err := t.savedModel(tree)
		if err != nil {
			return nil, err
		}
		return assembleSaved(w, sm, "saved_model_text")
	case kindMeta:
		mg, err := t.metaGraph(tree)
		if err != nil {
			return nil, err
		}
		return assembleMeta(mg, "meta_graph_text")
	}
	g, err := t.graphDef(tree)
	if err != nil {
		return nil, err
	}
	return assembleGraph(g, "graph_def_text"), nil
}
