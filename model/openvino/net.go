package openvino

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxBodyDepth bounds how deeply TensorIterator/Loop/If bodies are
// expanded as subgraphs.
const maxBodyDepth = 32

// bodyElements are the children of a layer that hold a nested network.
var bodyElements = map[string]bool{"body": true, "then_body": true, "else_body": true}

// portKey names a port of a layer: layer id and port id.
type portKey struct{ layer, port string }

// netBuilder turns <net> and nested <body> elements into graphs.
type netBuilder struct {
	legacy   bool
	bin      string // absolute path of the weights file
	binSize  int64
	missing  bool
	tensors  []*model.Tensor // every weight, in document order
	warnings []string
	badLoc   bool
}

// layerNet is one network's layers and edges.
type layerNet struct {
	layers []*elem
	edges  map[portKey]portKey // to -> from
	names  map[string]string   // layer id -> unique display name
}

func newLayerNet(net *elem) *layerNet {
	ln := &layerNet{edges: map[portKey]portKey{}, names: map[string]string{}}
	if ls := net.child("layers"); ls != nil {
		ln.layers = ls.children("layer")
	}
	if es := net.child("edges"); es != nil {
		for _, e := range es.children("edge") {
			to := portKey{e.attr("to-layer"), e.attr("to-port")}
			ln.edges[to] = portKey{e.attr("from-layer"), e.attr("from-port")}
		}
	}
	seen := map[string]int{}
	for _, l := range ln.layers {
		seen[l.attr("name")]++
	}
	for _, l := range ln.layers {
		name := l.attr("name")
		if name == "" || seen[name] > 1 {
			name = fmt.Sprintf("%s#%s", name, l.attr("id"))
		}
		ln.names[l.attr("id")] = name
	}
	return ln
}

// value names the value leaving a port.
func (ln *layerNet) value(k portKey) string {
	name, ok := ln.names[k.layer]
	if !ok {
		return ""
	}
	return name + ":" + k.port
}

// graph converts one network: layers become nodes wired by the edges,
// Parameters (legacy: Inputs) graph inputs, Results graph outputs, Const
// weights and legacy blobs initializers.
func (b *netBuilder) graph(net *elem, depth int) *model.Graph {
	ln := newLayerNet(net)
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: make([]*model.Node, 0, len(ln.layers))}
	consumed := map[string]bool{}
	for _, l := range ln.layers {
		n := b.node(g, ln, l, depth)
		for _, in := range n.Inputs {
			consumed[in] = true
		}
		g.Nodes = append(g.Nodes, n)
	}
	if b.legacy {
		// Legacy IR has no Result layers: the outputs are the values
		// nothing consumes.
		types := map[string]*model.Type{}
		for _, v := range g.ValueInfo {
			types[v.Name] = v.Type
		}
		for _, n := range g.Nodes {
			for _, o := range n.Outputs {
				if !consumed[o] {
					g.Outputs = append(g.Outputs, &model.Value{Name: o, Type: types[o]})
				}
			}
		}
	}
	return g
}

// node converts one layer.
func (b *netBuilder) node(g *model.Graph, ln *layerNet, l *elem, depth int) *model.Node {
	id, typ := l.attr("id"), l.attr("type")
	name := ln.names[id]
	n := &model.Node{Name: name, OpType: typ, Inputs: []string{}, Outputs: []string{}, Category: category(typ)}
	if v := l.attr("version"); v != "" {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "version", Type: model.AttrString, String: v})
	}
	if p := l.attr("precision"); p != "" {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "precision", Type: model.AttrString, String: p})
	}
	n.Attrs = append(n.Attrs, dataAttrs(l.child("data"))...)
	if in := l.child("input"); in != nil {
		for _, p := range in.children("port") {
			from, ok := ln.edges[portKey{id, p.attr("id")}]
			v := ""
			if ok {
				v = ln.value(from)
			}
			n.Inputs = append(n.Inputs, v)
		}
	}
	if out := l.child("output"); out != nil {
		for _, p := range out.children("port") {
			v := ln.value(portKey{id, p.attr("id")})
			n.Outputs = append(n.Outputs, v)
			vi := &model.Value{Name: v, Type: portType(p, "")}
			if names := p.attr("names"); names != "" {
				vi.Doc = "tensor names: " + names
			}
			g.ValueInfo = append(g.ValueInfo, vi)
		}
	}
	b.special(g, n, l)
	for _, k := range l.kids {
		if bodyElements[k.name] {
			b.body(n, l, k, depth)
		}
	}
	return n
}

// special handles the layers that are graph inputs, outputs or weights.
func (b *netBuilder) special(g *model.Graph, n *model.Node, l *elem) {
	switch typ := l.attr("type"); {
	case typ == "Parameter" || (b.legacy && typ == "Input"):
		g.Inputs = append(g.Inputs, &model.Value{Name: n.Name, Type: b.inputType(l)})
		n.Inputs = append([]string{n.Name}, n.Inputs...)
	case typ == "Result":
		t := &model.Type{Kind: model.KindTensor}
		if in := l.child("input"); in != nil {
			if p := in.child("port"); p != nil {
				t = portType(p, "")
			}
		}
		g.Outputs = append(g.Outputs, &model.Value{Name: n.Name, Type: t})
		n.Outputs = append(n.Outputs, n.Name)
	case typ == "Const" && !b.legacy:
		t := b.constTensor(n.Name, l)
		g.Initializers = append(g.Initializers, t)
		n.Inputs = append(n.Inputs, t.Name)
	}
	if b.legacy {
		for _, t := range b.blobTensors(n.Name, l) {
			g.Initializers = append(g.Initializers, t)
			n.Inputs = append(n.Inputs, t.Name)
		}
	}
}

// body adds a nested network (TensorIterator/Loop body, If branch) as a
// graph attribute, with its port map and back edges as text.
func (b *netBuilder) body(n *model.Node, l, body *elem, depth int) {
	if depth >= maxBodyDepth {
		b.warnings = append(b.warnings, fmt.Sprintf("layer %s: bodies nested more than %d deep are not shown", n.Name, maxBodyDepth))
		return
	}
	sg := b.graph(body, depth+1)
	sg.Name = n.Name + "/" + body.name
	n.Attrs = append(n.Attrs, model.Attribute{Name: body.name, Type: model.AttrGraph, Graphs: []*model.Graph{sg}})
	for _, meta := range []string{"port_map", "back_edges"} {
		if pm := l.child(meta); pm != nil && len(pm.kids) > 0 {
			a := model.Attribute{Name: meta, Type: model.AttrStrings}
			for _, k := range pm.kids[:min(len(pm.kids), 1024)] {
				a.Strings = append(a.Strings, describe(k))
			}
			n.Attrs = append(n.Attrs, a)
		}
	}
}

// describe spells an element as `name k="v" ...`.
func describe(e *elem) string {
	var sb strings.Builder
	sb.WriteString(e.name)
	for _, a := range e.attrs[:min(len(e.attrs), 32)] {
		fmt.Fprintf(&sb, " %s=%s", a.Name.Local, strconv.Quote(a.Value))
	}
	return sb.String()
}

// portType is the type a port declares: its precision (or fallback) and
// <dim>s.
func portType(p *elem, fallback string) *model.Type {
	prec := p.attr("precision")
	if prec == "" {
		prec = fallback
	}
	t := &model.Type{Kind: model.KindTensor, Shape: portShape(p)}
	if prec != "" {
		t.DType = precision(prec)
	}
	return t
}

// inputType is a Parameter's element type and shape from <data>, or for
// a legacy Input its precision and output port dims.
func (b *netBuilder) inputType(l *elem) *model.Type {
	if data := l.child("data"); data != nil && !b.legacy {
		t := &model.Type{Kind: model.KindTensor, DType: elementType(data.attr("element_type"))}
		if s, ok := data.lookup("shape"); ok {
			t.Shape = partialShape(s)
		}
		return t
	}
	if out := l.child("output"); out != nil {
		if p := out.child("port"); p != nil {
			return portType(p, l.attr("precision"))
		}
	}
	return &model.Type{Kind: model.KindTensor, DType: precision(l.attr("precision"))}
}

// category hints the viewer about OpenVINO ops its table does not know.
func category(typ string) string {
	switch typ {
	case "Parameter", "Input":
		return "data"
	case "TensorIterator", "Loop", "If":
		return "control"
	case "GroupConvolution", "ConvolutionBackpropData", "GroupConvolutionBackpropData", "FullyConnected":
		return "layer"
	case "FakeQuantize", "FakeConvert":
		return "quantization"
	case "MVN", "NormalizeL2":
		return "normalization"
	}
	return ""
}
