package caffe

import (
	"fmt"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// buildModel turns a decoded net into the IR. Blobs are values; a layer
// that rewrites a blob in place (top == bottom) makes a new version of it,
// so the graph stays a chain: every version but the last is named
// "blob#k", the last keeps the blob's name. The tops of Input layers are
// graph inputs too: there the graph input keeps the name and feeds the
// Input layer, whose output is the next version.
func buildModel(n *net, withTensors bool) *model.Model {
	g := &model.Graph{Name: n.name, Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: make([]*model.Node, 0, len(n.layers))}
	writes, plain, ver := map[string]int{}, map[string]int{}, map[string]int{}
	for _, in := range n.inputs {
		writes[in]++
	}
	for _, l := range n.layers {
		for _, t := range l.tops {
			if l.typ == "Input" && writes[t] == 0 {
				writes[t]++ // the graph input, before the layer
				ver[t]++
				plain[t] = 1 // shifted by one below: version 0
			}
			writes[t]++
		}
	}
	name := func(blob string) string {
		k, p := ver[blob], writes[blob]-1
		if q := plain[blob]; q > 0 {
			p = q - 1
		}
		if k == p {
			return blob
		}
		return fmt.Sprintf("%s#%d", blob, k)
	}
	for _, in := range n.inputs {
		ver[in]++
	}
	inplace := 0
	for _, l := range n.layers {
		node, isInplace := buildNode(l, name, ver)
		if isInplace {
			inplace++
		}
		g.Nodes = append(g.Nodes, node)
		if withTensors {
			g.Initializers = append(g.Initializers, l.blobs...)
		}
	}
	g.Inputs = inputs(n)
	g.Outputs = outputs(n)
	format := "V2"
	if n.v1 && !n.v2 {
		format = "V1"
	}
	return &model.Model{
		Format:   "caffe",
		Graph:    g,
		Metadata: map[string]string{"name": n.name, "layer_format": format},
		Facts:    map[string]any{"inplace_layers": inplace},
	}
}

// buildNode converts one layer; name spells a blob's current version and
// ver counts versions written so far.
func buildNode(l *layer, name func(string) string, ver map[string]int) (*model.Node, bool) {
	node := &model.Node{Name: l.name, OpType: l.typ, Inputs: []string{}, Outputs: []string{}, Attrs: l.attrs, Category: category(l.typ)}
	inplace := false
	bottoms := map[string]bool{}
	for _, b := range l.bottoms {
		node.Inputs = append(node.Inputs, previous(b, name, ver))
		bottoms[b] = true
	}
	for i, t := range l.blobs {
		t.Name = fmt.Sprintf("%s.%d", l.name, i)
		node.Inputs = append(node.Inputs, t.Name)
	}
	if l.typ == "Input" {
		for _, t := range l.tops {
			if ver[t] > 0 {
				node.Inputs = append(node.Inputs, previous(t, name, ver)) // the graph input
			}
		}
	}
	for _, t := range l.tops {
		inplace = inplace || bottoms[t]
		node.Outputs = append(node.Outputs, name(t))
		ver[t]++
	}
	return node, inplace
}

// previous is the value name of a blob's latest written version.
func previous(blob string, name func(string) string, ver map[string]int) string {
	if ver[blob] == 0 {
		return blob // read before any write: a dangling input
	}
	ver[blob]--
	v := name(blob)
	ver[blob]++
	return v
}

// inputs lists NetParameter inputs (shape from input_shape, else four
// input_dim values each) then the tops of Input layers.
func inputs(n *net) []*model.Value {
	var out []*model.Value
	for i, in := range n.inputs {
		var dims []int64
		switch {
		case i < len(n.inputShapes):
			dims = n.inputShapes[i]
		case 4*i+4 <= len(n.inputDims):
			dims = n.inputDims[4*i : 4*i+4]
		}
		out = append(out, value(in, dims))
	}
	for _, l := range n.layers {
		if l.typ != "Input" {
			continue
		}
		for j, t := range l.tops {
			var dims []int64
			switch {
			case j < len(l.shapes):
				dims = l.shapes[j]
			case len(l.shapes) == 1:
				dims = l.shapes[0]
			}
			out = append(out, value(t, dims))
		}
	}
	if out == nil {
		out = []*model.Value{}
	}
	return out
}

func value(name string, dims []int64) *model.Value {
	v := &model.Value{Name: name}
	if dims != nil {
		s := make(model.Shape, len(dims))
		for i, d := range dims {
			s[i] = model.IntDim(d)
		}
		v.Type = &model.Type{Kind: model.KindTensor, Shape: s}
	}
	return v
}

// outputs lists the blobs whose last write no later layer reads, in the
// order of those writes.
func outputs(n *net) []*model.Value {
	lastWrite := map[string]int{}
	for i, l := range n.layers {
		for _, t := range l.tops {
			lastWrite[t] = i
		}
	}
	readAfter := map[string]bool{}
	for i, l := range n.layers {
		for _, b := range l.bottoms {
			if w, ok := lastWrite[b]; ok && i > w {
				readAfter[b] = true
			}
		}
	}
	out := []*model.Value{}
	seen := map[string]bool{}
	for i, l := range n.layers {
		for _, t := range l.tops {
			if lastWrite[t] == i && !readAfter[t] && !seen[t] {
				seen[t] = true
				out = append(out, &model.Value{Name: t})
			}
		}
	}
	return out
}

// categories are display hints by layer type, keyed in lower case
// without underscores so V1 enum names match too.
var categories = map[string]string{
	"convolution": "layer", "deconvolution": "layer", "innerproduct": "layer", "embed": "layer",
	"relu": "activation", "prelu": "activation", "sigmoid": "activation", "tanh": "activation",
	"elu": "activation", "softmax": "activation", "swish": "activation", "absval": "activation",
	"pooling": "pooling", "spp": "pooling", "batchnorm": "normalization", "lrn": "normalization",
	"mvn": "normalization", "scale": "normalization", "concat": "tensor", "slice": "tensor",
	"split": "tensor", "reshape": "shape", "flatten": "shape", "crop": "shape", "input": "data",
	"data": "data", "eltwise": "tensor",
}

func category(typ string) string {
	return categories[strings.ReplaceAll(strings.ToLower(typ), "_", "")]
}
