package mnn

import (
	"fmt"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// decodeOps decodes a vector of Op tables into a graph whose values are
// named by names (Net.tensorName or a subgraph's tensors).
func (d *decoder) decodeOps(start, n int64, names []string) (*model.Graph, []graphRef, error) {
	if n > maxOps {
		return nil, nil, fmt.Errorf("%d ops (limit %d)", n, maxOps)
	}
	if !d.Charge(costPerOp * n) {
		return nil, nil, d.wrap("ops")
	}
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: make([]*model.Node, 0, n)}
	var refs []graphRef
	for i := int64(0); i < n; i++ {
		if err := d.ctx.Err(); err != nil {
			return nil, nil, err
		}
		ot, ok := d.Elem(start, i)
		if !ok {
			return nil, nil, d.wrap(fmt.Sprintf("op %d", i))
		}
		node, r := d.decodeOp(ot, names, g)
		if d.Err != nil {
			return nil, nil, d.wrap(fmt.Sprintf("op %d (%q)", i, node.Name))
		}
		g.Nodes = append(g.Nodes, node)
		refs = append(refs, r...)
	}
	return g, refs, nil
}

// decodeOp decodes one Op: its type, wiring, parameters and weights. Input
// ops add a graph input and Const ops an initializer to g.
func (d *decoder) decodeOp(ot flatbuf.Table, names []string, g *model.Graph) (*model.Node, []graphRef) {
	typ := d.Int32(ot, opType, 0)
	n := &model.Node{Name: d.Str(ot, opName), OpType: opTypeName(typ), Inputs: []string{}, Outputs: []string{}}
	for _, i := range d.indices(ot, opInputIndexes) {
		n.Inputs = append(n.Inputs, tensorName(names, i))
	}
	for _, i := range d.indices(ot, opOutputIndexes) {
		n.Outputs = append(n.Outputs, tensorName(names, i))
	}
	n.Category = category(typ)
	ptype := d.Uint8(ot, opMainType, paramNone)
	pt, hasParam := d.Sub(ot, opMain)
	if !hasParam {
		return n, nil
	}
	if int(ptype) < len(paramNames) {
		n.Attrs = append(n.Attrs, model.Attribute{Name: "param", Type: model.AttrString, String: paramNames[ptype]})
	}
	n.Attrs = append(n.Attrs, d.paramAttrs(ptype, pt)...)
	ext := d.externalFile(d.Str(ot, opExternalPath))
	n.Attrs = append(n.Attrs, d.paramWeights(ptype, pt, n, ext)...)
	switch {
	case typ == opTypeInput && ptype == paramInput && len(n.Outputs) > 0:
		g.Inputs = append(g.Inputs, d.inputValue(pt, n.Outputs[0]))
	case (typ == opTypeConst || typ == opTypeTrainable) && ptype == paramBlob && len(n.Outputs) > 0:
		g.Initializers = append(g.Initializers, d.blobTensor(pt, n.Outputs[0], ext))
	}
	return n, d.graphRefs(ptype, pt, n)
}

func (d *decoder) indices(t flatbuf.Table, slot int) []int64 {
	v, _, _ := d.Int32s(t, slot, maxList)
	return v
}

func opTypeName(t int32) string {
	if s, ok := opTypeNames[t]; ok {
		return s
	}
	return "OpType_" + strconv.Itoa(int(t))
}

// category is a display hint for common op types.
func category(t int32) string {
	switch opTypeNames[t] {
	case "Convolution", "ConvolutionDepthwise", "Deconvolution", "DeconvolutionDepthwise", "InnerProduct", "MatMul", "BatchMatMul", "Convolution3D":
		return "layer"
	case "ReLU", "ReLU6", "PReLU", "Sigmoid", "TanH", "ELU", "Selu", "Softmax":
		return "activation"
	case "Pooling", "Pooling3D":
		return "pooling"
	case "BatchNorm", "InstanceNorm", "LayerNorm", "GroupNorm", "Scale", "Normalize", "LRN":
		return "normalization"
	case "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Permute", "Transpose", "Concat", "Slice", "SliceTf", "StridedSlice", "Pack", "Unpack", "Shape", "ConvertTensor", "Gather", "GatherV2", "ExpandDims":
		return "shape"
	case "While", "If":
		return "control"
	case "Input", "Const", "TrainableParam":
		return "data"
	}
	return ""
}

// inputValue is the graph input an Input op declares: its dtype and dims
// (negative dims unknown).
func (d *decoder) inputValue(pt flatbuf.Table, name string) *model.Value {
	dims, _, _ := d.Int32s(pt, inputDims, maxRank)
	shape := model.Shape{}
	for _, v := range dims {
		if v < 0 {
			shape = append(shape, model.Dim{})
		} else {
			shape = append(shape, model.IntDim(v))
		}
	}
	dt := d.Int32(pt, inputDType, defaultInputDType)
	return &model.Value{Name: name, Type: &model.Type{Kind: model.KindTensor, DType: model.DType(dtypeOf(dt)), Shape: shape}}
}

// graphRefs lists the subgraphs a While or If op names.
func (d *decoder) graphRefs(ptype uint8, pt flatbuf.Table, n *model.Node) []graphRef {
	var refs []graphRef
	add := func(attr string, slot int) {
		if name := d.Str(pt, slot); name != "" {
			refs = append(refs, graphRef{node: n, attr: attr, name: name})
			n.Attrs = append(n.Attrs, model.Attribute{Name: attr + "_name", Type: model.AttrString, String: name})
		}
	}
	switch ptype {
	case paramWhile:
		add("cond_graph", whileCond)
		add("body_graph", whileBody)
	case paramIf:
		add("then_graph", ifThen)
		add("else_graph", ifElse)
	}
	return refs
}
