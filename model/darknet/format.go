// Package darknet decodes Darknet networks: the INI-like `.cfg` (the
// [net] hyper-parameters, then one section per layer) with output sizes
// computed layer by layer as darknet does, and the weights of a sibling
// `.weights` file located (never loaded) in darknet's load order.
package darknet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxCfg bounds a .cfg file: real ones are tens of kilobytes.
const maxCfg = 16 << 20

// Format returns the registry entry for Darknet networks.
func Format() model.Format {
	return model.Format{
		Name:       "darknet",
		Extensions: []string{".cfg"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises a .cfg whose first section (after blank and comment
// lines) is [net] or [network].
func Detect(head []byte, size int64) model.Confidence {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for _, raw := range bytes.Split(head, []byte("\n")) {
		line := stripBlanks(string(raw))
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line == "[net]" || line == "[network]":
			return model.Strong
		}
		return model.No
	}
	return model.No
}

// Open decodes the .cfg at path and locates the weights of
// <stem>.weights beside it when present.
func Open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxCfg {
		return nil, fmt.Errorf("darknet: the .cfg file is %d bytes, more than %d", size, maxCfg)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("darknet: read: %w", err)
	}
	secs, err := parseCfg(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if err != nil {
		return nil, fmt.Errorf("darknet: %w", err)
	}
	layers, err := wire(secs)
	if err != nil {
		return nil, fmt.Errorf("darknet: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := buildModel(secs, layers, path)
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	if wp := stem + ".weights"; wp != path {
		locateWeights(m, layers, wp)
	}
	return m, nil
}

// buildModel makes the graph: one node per layer, named <index>_<section>,
// wired by layer output names; the input is `data`.
func buildModel(secs []section, layers []built, path string) *model.Model {
	net := &secs[0]
	in := &model.Value{Name: "data", Type: tensorType(dims{net.int("channels", 0), net.int("height", 0), net.int("width", 0)})}
	g := &model.Graph{Inputs: []*model.Value{in}, Outputs: []*model.Value{}}
	m := &model.Model{
		Format: "darknet", Producer: "darknet", Graph: g, Files: []string{path},
		Facts: map[string]any{"batch": net.int("batch", 1), "subdivisions": net.int("subdivisions", 1)},
	}
	for _, o := range net.opts {
		m.Properties = append(m.Properties, model.Property{Name: "[" + net.typ + "] " + o.key, Value: o.value})
	}
	for i, b := range layers {
		s := &secs[i+1]
		n := &model.Node{Name: b.name, OpType: s.typ, Inputs: b.inputs, Outputs: []string{b.name}, Category: categories[s.typ]}
		for _, o := range s.opts {
			n.Attrs = append(n.Attrs, attribute(o))
		}
		g.Nodes = append(g.Nodes, n)
		g.ValueInfo = append(g.ValueInfo, &model.Value{Name: b.name, Type: tensorType(b.out)})
		switch s.typ {
		case "yolo", "region", "detection":
			g.Outputs = append(g.Outputs, &model.Value{Name: b.name, Type: tensorType(b.out)})
		}
	}
	if len(g.Outputs) == 0 && len(layers) > 0 {
		last := layers[len(layers)-1]
		g.Outputs = append(g.Outputs, &model.Value{Name: last.name, Type: tensorType(last.out)})
	}
	return m
}

// tensorType is a float32 [c, h, w] type.
func tensorType(d dims) *model.Type {
	return &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.Shape{model.IntDim(int64(d.c)), model.IntDim(int64(d.h)), model.IntDim(int64(d.w))}}
}

// attribute types one option.
func attribute(o option) model.Attribute {
	a := model.Attribute{Name: o.key}
	i, f, is, fs, kind := value(o.value)
	switch kind {
	case "int":
		a.Type, a.Int = model.AttrInt, i
	case "float":
		a.Type, a.Float = model.AttrFloat, f
	case "ints":
		a.Type, a.Ints = model.AttrInts, is
	case "floats":
		a.Type, a.Floats = model.AttrFloats, fs
	default:
		a.Type, a.String = model.AttrString, o.value
	}
	return a
}

// categories are display hints for common sections.
var categories = map[string]string{
	"convolutional": "layer", "conv": "layer", "deconvolutional": "layer", "deconv": "layer",
	"connected": "layer", "conn": "layer", "local": "layer",
	"maxpool": "pooling", "max": "pooling", "avgpool": "pooling", "avg": "pooling",
	"batchnorm": "normalization", "lrn": "normalization", "normalization": "normalization",
	"route": "tensor", "shortcut": "tensor", "upsample": "shape", "reorg": "shape",
	"softmax": "activation", "activation": "activation", "logistic": "activation",
	"dropout": "dropout",
}
