// Package ncnn decodes Tencent ncnn models: the network description in a
// text `.param` or a binary `.param.bin`, with the weights of the sibling
// `.bin` located (never loaded) layer by layer.
package ncnn

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxParamFile bounds a .param file: real ones are well under a megabyte.
const maxParamFile = 64 << 20

// Format returns the registry entry for ncnn models.
func Format() model.Format {
	return model.Format{
		Name:       "ncnn",
		Extensions: []string{".param", ".param.bin"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises a binary .param by its int32 magic (Strong) and a
// text .param by its shape: a number line, a "layers blobs" line and a
// layer line (Strong with the ncnn magic, else Plausible so a damaged
// magic still reaches the decoder and its clear error).
func Detect(head []byte, size int64) model.Confidence {
	if len(head) >= 12 && binary.LittleEndian.Uint32(head) == magic {
		return model.Strong
	}
	lines := bytes.SplitN(head, []byte("\n"), 4)
	if len(lines) < 3 {
		return model.No
	}
	m := bytes.TrimSpace(lines[0])
	if len(m) == 0 || len(m) > 10 || !allDigits(m) {
		return model.No
	}
	counts := bytes.Fields(lines[1])
	if len(counts) != 2 || !allDigits(counts[0]) || !allDigits(counts[1]) {
		return model.No
	}
	third := bytes.TrimSpace(lines[2])
	if len(third) == 0 || !isLetter(third[0]) || len(bytes.Fields(third)) < 4 {
		return model.No
	}
	if string(m) == strconv.Itoa(magic) {
		return model.Strong
	}
	return model.Plausible
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' }

// Open decodes the .param (text or binary) at path.
func Open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxParamFile {
		return nil, fmt.Errorf("ncnn: the .param file is %d bytes, more than %d", size, maxParamFile)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("ncnn: read: %w", err)
	}
	var n *net
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == magic {
		n, err = parseBinary(data)
	} else {
		n, err = parseText(data)
	}
	if err != nil {
		return nil, fmt.Errorf("ncnn: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return buildModel(n, path), nil
}

// buildModel turns a parsed net into the IR.
func buildModel(n *net, path string) *model.Model {
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}}
	m := &model.Model{
		Format:   "ncnn",
		Producer: "ncnn",
		Graph:    g,
		Files:    []string{path},
		Facts: map[string]any{
			"magic":       magic,
			"layer_count": n.layerCount,
			"blob_count":  n.blobCount,
			"param_form":  map[bool]string{true: "binary", false: "text"}[n.binary],
		},
	}
	m.Properties = []model.Property{
		{Name: "param form", Value: m.Facts["param_form"].(string)},
		{Name: "layers", Value: strconv.Itoa(n.layerCount)},
		{Name: "blobs", Value: strconv.Itoa(n.blobCount)},
	}
	for i := range n.layers {
		g.Nodes = append(g.Nodes, buildNode(n, i))
		if l := &n.layers[i]; l.typ == "Input" {
			for _, t := range l.tops {
				g.Inputs = append(g.Inputs, &model.Value{Name: n.blobName(t), Type: inputType(l)})
			}
		}
	}
	for _, b := range n.outputs() {
		g.Outputs = append(g.Outputs, &model.Value{Name: n.blobName(b)})
	}
	locateWeights(m, n, path)
	return m
}

// buildNode makes the node of layer i.
func buildNode(n *net, i int) *model.Node {
	l := &n.layers[i]
	name := l.name
	if name == "" {
		name = fmt.Sprintf("%s_%d", strings.ToLower(l.typ), i)
	}
	node := &model.Node{Name: name, OpType: l.typ, Inputs: []string{}, Outputs: []string{}, Category: categories[l.typ]}
	for _, b := range l.bottoms {
		node.Inputs = append(node.Inputs, n.blobName(b))
	}
	for _, t := range l.tops {
		node.Outputs = append(node.Outputs, n.blobName(t))
	}
	for _, p := range l.params {
		node.Attrs = append(node.Attrs, attribute(l.typ, p))
	}
	return node
}

// attribute types one parameter.
func attribute(typ string, p param) model.Attribute {
	a := model.Attribute{Name: paramName(typ, p.id)}
	switch {
	case p.isString:
		a.Type, a.String = model.AttrString, p.str
	case p.array && p.isFloat:
		a.Type, a.Floats = model.AttrFloats, p.floats
	case p.array:
		a.Type, a.Ints = model.AttrInts, p.ints
	case p.isFloat && len(p.floats) > 0:
		a.Type, a.Float = model.AttrFloat, p.floats[0]
	default:
		a.Type, a.Int = model.AttrInt, p.intValue()
	}
	return a
}

// inputType is an Input layer's blob type: float32 of shape [c, d, h, w]
// from its parameters, unknown when none is given.
func inputType(l *layer) *model.Type {
	t := &model.Type{Kind: model.KindTensor, DType: "float32"}
	var shape model.Shape
	for _, id := range []int{2, 11, 1, 0} {
		if v := l.get(id, 0); v > 0 {
			shape = append(shape, model.IntDim(v))
		}
	}
	t.Shape = shape
	return t
}

// weightsPath is the sibling .bin of a .param or .param.bin.
func weightsPath(path string) string {
	stem := path
	switch {
	case strings.HasSuffix(stem, ".param.bin"):
		stem = strings.TrimSuffix(stem, ".param.bin")
	case strings.HasSuffix(stem, ".param"):
		stem = strings.TrimSuffix(stem, ".param")
	default:
		return ""
	}
	return stem + ".bin"
}

// locateWeights places each layer's weights in the sibling .bin, as
// initializers wired into the layer's node, until a layer whose layout is
// unknown (later offsets are unknown too: a warning says so).
func locateWeights(m *model.Model, n *net, path string) {
	wp := weightsPath(path)
	if wp == "" {
		return
	}
	f, size, err := model.OpenFile(wp)
	if err != nil {
		if !os.IsNotExist(err) {
			m.Warnings = append(m.Warnings, "weights file: "+err.Error())
		}
		return
	}
	defer f.Close()
	m.Files = append(m.Files, wp)
	lc := &locator{f: f, path: wp, size: size}
	for i := range n.layers {
		l, node := &n.layers[i], m.Graph.Nodes[i]
		mats, ok := planWeights(l)
		if !ok {
			m.Warnings = append(m.Warnings, fmt.Sprintf("weights of layer %s (%s) and later layers are not located: this layer's weight layout is not known", node.Name, l.typ))
			return
		}
		for _, mt := range mats {
			t, err := lc.place(node.Name+"."+mt.suffix, mt)
			if err != nil {
				m.Warnings = append(m.Warnings, "weights: "+err.Error())
				return
			}
			m.Graph.Initializers = append(m.Graph.Initializers, t)
			node.Inputs = append(node.Inputs, t.Name)
		}
	}
	if lc.off != size {
		m.Warnings = append(m.Warnings, fmt.Sprintf("the weights file has %d bytes, the layers account for %d", size, lc.off))
	}
}
