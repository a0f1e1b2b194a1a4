// Package tfjs decodes TensorFlow.js models (a model.json plus binary
// weight shards) into the model IR: graph models (a TensorFlow GraphDef in
// JSON form, with a function library for control flow) and layers models
// (a Keras model config). Weights are located in their shard files from the
// weights manifest, never read.
package tfjs

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/modelpeek/modelpeek/model"
)

// maxJSON bounds model.json: real ones are a few MB (the topology only;
// weights live in the shards), and decoded JSON takes several times its
// size in memory.
const maxJSON = 64 << 20

// Format returns the registry entry for TensorFlow.js model.json files.
func Format() model.Format {
	return model.Format{
		Name:       "tfjs",
		Extensions: []string{".json"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises a JSON object whose head names the "modelTopology" or
// "weightsManifest" key of a TensorFlow.js model (Strong), or only its
// "graph-model"/"layers-model" format tag (Plausible). Other JSON files
// (configs, safetensors indexes) are not claimed.
func Detect(head []byte, size int64) model.Confidence {
	trimmed := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return model.No
	}
	if bytes.Contains(head, []byte(`"modelTopology"`)) || bytes.Contains(head, []byte(`"weightsManifest"`)) {
		return model.Strong
	}
	// A long signature can push the topology past the head; the format
	// tag the converter writes first still shows.
	if bytes.Contains(head, []byte(`"graph-model"`)) || bytes.Contains(head, []byte(`"layers-model"`)) {
		return model.Plausible
	}
	return model.No
}

// file is model.json as the TensorFlow.js converter writes it.
type file struct {
	Format              string          `json:"format"`
	GeneratedBy         any             `json:"generatedBy"`
	ConvertedBy         any             `json:"convertedBy"`
	ModelTopology       json.RawMessage `json:"modelTopology"`
	WeightsManifest     []group         `json:"weightsManifest"`
	Signature           json.RawMessage `json:"signature"`
	UserDefinedMetadata json.RawMessage `json:"userDefinedMetadata"`
}

// Open decodes the model.json at path.
func Open(ctx context.Context, path string) (*model.Model, error) {
	m, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	return m, nil
}

func open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxJSON {
		return nil, fmt.Errorf("model.json is %d bytes, more than the %d I read", size, maxJSON)
	}
	raw, err := io.ReadAll(io.LimitReader(f, size))
	if err != nil {
		return nil, err
	}
	var mf file
	if err := json.Unmarshal(raw, &mf); err != nil {
		return nil, fmt.Errorf("not valid model JSON: %w", err)
	}
	noTopology := len(mf.ModelTopology) == 0 || string(mf.ModelTopology) == "null"
	if noTopology && len(mf.WeightsManifest) == 0 {
		return nil, errors.New("model.json has neither a modelTopology nor a weightsManifest")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := &model.Model{Format: "tfjs", Metadata: map[string]string{}, Facts: map[string]any{}}
	w := layoutWeights(filepath.Dir(path), mf.WeightsManifest)
	m.Files = append([]string{path}, w.present...)
	m.Warnings = append(m.Warnings, w.warnings...)
	kind := "weights_only"
	if noTopology {
		weightsOnlyGraph(m, w)
	} else if kind, err = decodeTopology(ctx, m, &mf, w); err != nil {
		return nil, err
	}
	setMetadata(m, &mf, w, kind)
	return m, nil
}

// decodeTopology builds the graph of a graph model or a layers model and
// returns the kind found.
func decodeTopology(ctx context.Context, m *model.Model, mf *file, w *weights) (string, error) {
	var topo map[string]json.RawMessage
	if err := json.Unmarshal(mf.ModelTopology, &topo); err != nil {
		return "", fmt.Errorf("modelTopology is not an object: %w", err)
	}
	_, hasNodes := topo["node"]
	if mf.Format == "graph-model" || (mf.Format == "" && hasNodes) {
		return "graph_model", decodeGraphModel(ctx, m, mf, w)
	}
	return "layers_model", decodeLayersModel(m, mf.ModelTopology, w)
}

// setMetadata records the manifest's facts: format, producer, shards.
func setMetadata(m *model.Model, mf *file, w *weights, kind string) {
	format := mf.Format
	if format == "" {
		format = map[string]string{"graph_model": "graph-model", "layers_model": "layers-model"}[kind]
	}
	m.Metadata["tfjs_format"] = format
	m.Metadata["kind"] = kind
	if s, ok := mf.GeneratedBy.(string); ok {
		m.Metadata["generatedBy"] = s
		m.Producer = s
	}
	if s, ok := mf.ConvertedBy.(string); ok {
		m.Metadata["convertedBy"] = s
		m.Producer = s
	}
	m.Facts["weight_files"] = w.paths
	m.Facts["missing_files"] = w.missing
	m.Properties = append(m.Properties,
		model.Property{Name: "format", Value: "TensorFlow.js " + cmp.Or(format, "weights manifest")},
		model.Property{Name: "weight shards", Value: fmt.Sprintf("%d (%d missing)", len(w.paths), len(w.missing))})
}
