// Package keras decodes Keras model files into the model IR: Keras 3
// `.keras` zip archives (config.json, metadata.json, model.weights.h5) and
// legacy HDF5 `.h5` files (the model_config attribute and the weights
// under model_weights, or a weights-only file). Layers become nodes, their
// configs attributes; Lambda layers and custom objects are shown by name
// and config, never run.
package keras

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
	"github.com/modelpeek/modelpeek/model/internal/llm"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

// Format returns the registry entry for Keras files.
func Format() model.Format {
	return model.Format{
		Name:       "keras",
		Extensions: []string{".keras", ".h5", ".hdf5"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises a .keras zip by its config.json and metadata.json
// entries (Strong; Plausible when only the first entry looks like Keras)
// and HDF5 files by their signature (Plausible: HDF5 holds many other
// things).
func Detect(head []byte, size int64) model.Confidence {
	switch {
	case ziputil.IsZip(head):
		if bytes.Contains(head, []byte("config.json")) && bytes.Contains(head, []byte("metadata.json")) {
			return model.Strong
		}
		switch ziputil.FirstName(head) {
		case "metadata.json", "config.json", "model.weights.h5":
			return model.Plausible
		}
	case bytes.HasPrefix(head, []byte(hdf5Signature)):
		return model.Plausible
	}
	return model.No
}

// Open decodes the Keras file at path.
func Open(ctx context.Context, path string) (m *model.Model, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("keras: internal error while reading this file: %v", p)
		}
	}()
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case ziputil.IsZip(head):
		return openKerasZip(ctx, path)
	case bytes.HasPrefix(head, []byte(hdf5Signature)):
		return openH5(ctx, f, size, path)
	}
	return nil, errors.New("not a Keras file (neither a .keras zip nor HDF5)")
}

// maxConfig bounds config.json: real configs are a few MB, and decoded
// JSON takes several times its size in memory.
const maxConfig = 16 << 20

// openKerasZip reads a Keras 3 .keras archive.
func openKerasZip(ctx context.Context, path string) (*model.Model, error) {
	a, err := ziputil.Open(path, ziputil.DefaultLimits())
	if err != nil {
		return nil, err
	}
	defer a.Close()
	cf := a.Lookup("config.json")
	if cf == nil {
		return nil, errors.New("this zip has no config.json: it is not a Keras model")
	}
	cfg, err := a.ReadFile(cf, maxConfig)
	if err != nil {
		return nil, err
	}
	m := &model.Model{Format: "keras", Producer: "Keras", Metadata: map[string]string{}}
	if mf := a.Lookup("metadata.json"); mf != nil {
		if b, err := a.ReadFile(mf, 1<<20); err == nil {
			var md map[string]any
			if json.Unmarshal(b, &md) == nil {
				for k, v := range md {
					m.Metadata[k] = fmt.Sprint(v)
				}
				if v, ok := md["keras_version"].(string); ok {
					m.Producer = "Keras " + v
				}
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cm, err := parseConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	var weights []*model.Tensor
	if wf := a.Lookup("model.weights.h5"); wf != nil {
		weights, err = zipWeights(a, wf, path)
		if err != nil {
			m.Warnings = append(m.Warnings, "model.weights.h5: "+err.Error())
		}
	}
	m.Graph = cm.graph(weights, keras3Owner(cm))
	m.Properties = []model.Property{{Name: "container", Value: "Keras 3 .keras archive"}, {Name: "model class", Value: cm.class}}
	m.Warnings = append(m.Warnings, cm.warnings...)
	return m, nil
}

// zipWeights lists the datasets of the archive's weights file. A stored
// entry is read in place; a compressed one is decompressed (bounded).
func zipWeights(a *ziputil.Archive, zf *zip.File, path string) ([]*model.Tensor, error) {
	var r io.ReaderAt
	var size int64
	base := int64(-1)
	if off, n, ok := a.StoredRange(zf); ok {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, size, base = io.NewSectionReader(f, off, n), n, off
	} else {
		b, err := a.ReadFile(zf, 0)
		if err != nil {
			return nil, err
		}
		r, size = bytes.NewReader(b), int64(len(b))
	}
	h, err := openHDF5(r, size)
	if err != nil {
		return nil, err
	}
	ts, err := h5Tensors(h, "", path, base)
	if err == nil && len(h.warnings) > 0 {
		err = errors.New(strings.Join(h.warnings, "; "))
	}
	return ts, err
}

// h5Tensors lists every dataset below prefix (a group path, "" for the
// root) as a tensor named by its path relative to prefix. base is where
// the HDF5 bytes start in the file, or -1 when they are not in the file
// as is (compressed inside a zip).
func h5Tensors(h *h5file, prefix, file string, base int64) ([]*model.Tensor, error) {
	root, err := h.object(h.rootAddr)
	if err != nil {
		return nil, err
	}
	start := root
	if prefix != "" {
		start = nil
		for _, l := range root.links {
			if l.name == prefix {
				if start, err = h.object(l.addr); err != nil {
					return nil, err
				}
			}
		}
		if start == nil {
			return nil, nil
		}
	}
	var out []*model.Tensor
	// Keras lists each layer's weights in order (kernel before bias) in
	// the layer group's weight_names attribute; HDF5 stores them by name.
	order := map[string]int{}
	err = h.walk(start, "", 0, map[int64]bool{}, func(p string, o *h5object) {
		if o.isGroup && !strings.Contains(p, "/") {
			for i, w := range o.strings("weight_names") {
				order[p+"/"+w] = i
			}
		}
		if !o.dataset {
			return
		}
		t := &model.Tensor{Name: p, DType: model.DType(o.dtype), Shape: o.shape}
		if o.dataAddr >= 0 && base >= 0 {
			enc := model.EncRaw
			if o.bigEnd {
				enc = model.EncRawBigEndian
			}
			if _, ok := model.DTypeSize(t.DType); !ok {
				enc = model.EncOpaque
			}
			t.Location = &model.Location{File: file, Offset: base + o.dataAddr, Length: o.dataSize, Encoding: enc}
		} else if base < 0 {
			t.Doc = "stored compressed inside the archive"
		}
		out = append(out, t)
	})
	sortWeights(out, order)
	return out, err
}

// sortWeights orders tensors by layer (first segment, in stored order),
// then as the layer's weight_names lists them, then naturally ("vars/2"
// before "vars/10").
func sortWeights(ts []*model.Tensor, order map[string]int) {
	layerPos := map[string]int{}
	for _, t := range ts {
		first, _, _ := strings.Cut(t.Name, "/")
		if _, ok := layerPos[first]; !ok {
			layerPos[first] = len(layerPos)
		}
	}
	rank := func(t *model.Tensor) int {
		if i, ok := order[t.Name]; ok {
			return i
		}
		return len(order) + 1
	}
	slices.SortStableFunc(ts, func(a, b *model.Tensor) int {
		fa, _, _ := strings.Cut(a.Name, "/")
		fb, _, _ := strings.Cut(b.Name, "/")
		if c := cmp.Compare(layerPos[fa], layerPos[fb]); c != 0 {
			return c
		}
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		return hier.Compare(a.Name, b.Name)
	})
}

// openH5 reads a legacy Keras HDF5 file.
func openH5(ctx context.Context, f *os.File, size int64, path string) (*model.Model, error) {
	h, err := openHDF5(f, size)
	if err != nil {
		return nil, err
	}
	root, err := h.object(h.rootAddr)
	if err != nil {
		return nil, err
	}
	m := &model.Model{Format: "keras", Producer: "Keras", Metadata: map[string]string{}}
	str := func(o *h5object, name string) string {
		if s := o.strings(name); len(s) > 0 {
			return s[0]
		}
		return ""
	}
	if v := str(root, "keras_version"); v != "" {
		m.Producer = "Keras " + v
		m.Metadata["keras_version"] = v
	}
	if v := str(root, "backend"); v != "" {
		m.Metadata["backend"] = v
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hasWeightsGroup := false
	for _, l := range root.links {
		if l.name == "model_weights" {
			hasWeightsGroup = true
		}
	}
	prefix := ""
	if hasWeightsGroup {
		prefix = "model_weights"
	}
	weights, err := h5Tensors(h, prefix, path, 0)
	if err != nil {
		m.Warnings = append(m.Warnings, "weights: "+err.Error())
	}
	m.Warnings = append(m.Warnings, h.warnings...)
	cfgText := str(root, "model_config")
	if len(cfgText) > maxConfig {
		return nil, fmt.Errorf("model_config is %d bytes, more than the %d I read", len(cfgText), maxConfig)
	}
	if cfgText == "" {
		// A weights-only file (model.save_weights): one node per layer
		// in the order layer_names lists them.
		names := root.strings("layer_names")
		m.Graph = weightsOnlyGraph(names, weights)
		m.Properties = []model.Property{{Name: "container", Value: "HDF5 (Keras weights only, no model config)"}}
		if len(weights) > 0 {
			m.Properties = append(m.Properties, model.Property{Name: "graph", Value: llm.WeightsOnlyNote})
		}
		return m, nil
	}
	cm, err := parseConfig([]byte(cfgText))
	if err != nil {
		return nil, fmt.Errorf("model_config: %w", err)
	}
	if tc := str(root, "training_config"); tc != "" {
		m.Metadata["training_config"] = truncate(tc, 4096)
	}
	m.Graph = cm.graph(weights, func(name string) string {
		first, _, _ := strings.Cut(name, "/")
		return first
	})
	m.Properties = []model.Property{{Name: "container", Value: "HDF5 (legacy Keras .h5)"}, {Name: "model class", Value: cm.class}}
	m.Warnings = append(m.Warnings, cm.warnings...)
	return m, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
