package coreml

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// maxAttrValues caps the values kept of a repeated attribute.
const maxAttrValues = 64

// network decodes a NeuralNetwork (or its Classifier / Regressor form):
// layers as nodes, their weights as initializers. facts receives the class
// labels of a classifier; nil for nested networks.
func (d *decoder) network(msg field, depth pbwire.Depth, facts map[string]any) (*model.Graph, error) {
	depth, err := depth.Enter()
	if err != nil {
		return nil, err
	}
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}}
	var all []*model.Tensor
	err = d.src.sub(d.ctx, msg, func(f field) error {
		if f.Num != 1 {
			return nil
		}
		st, err := d.layer(f, depth)
		if err != nil {
			return err
		}
		g.Nodes = append(g.Nodes, st.node)
		g.ValueInfo = append(g.ValueInfo, st.values...)
		all = append(all, st.tensors...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.Initializers = all
	if facts != nil {
		if err := d.classLabels(msg, facts); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// layerState collects what one layer's params produce.
type layerState struct {
	layer   string
	node    *model.Node
	tensors []*model.Tensor // this layer's and its nested layers' weights
	shapes  []model.Shape   // the outputTensor shapes
	values  []*model.Value  // the outputs with a known shape
}

// layer decodes a NeuralNetworkLayer: the node, the shapes of its outputs
// when stored, and every weight of the layer and of the layers nested in
// its loop or branch bodies.
func (d *decoder) layer(msg field, depth pbwire.Depth) (*layerState, error) {
	if err := d.charge(costNode); err != nil {
		return nil, err
	}
	n := &model.Node{Inputs: []string{}, Outputs: []string{}}
	st := &layerState{node: n}
	var params field
	var kind layerKind
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			n.Name = d.src.str(f)
		case 2:
			n.Inputs = append(n.Inputs, d.src.str(f))
		case 3:
			n.Outputs = append(n.Outputs, d.src.str(f))
		case 5:
			shape, err := d.layerTensor(f)
			st.shapes = append(st.shapes, shape)
			return err
		default:
			if k, ok := layerKinds[int32(f.Num)]; ok {
				kind, params = k, f
			}
		}
		return nil
	})
	if err != nil {
		return nil, within(err, "layer %q", n.Name)
	}
	if kind.name == "" {
		n.OpType = "unknown"
		return st, nil
	}
	n.OpType, n.Category = kind.name, layerCategory(kind.name)
	for i, shape := range st.shapes {
		if i < len(n.Outputs) {
			st.values = append(st.values, &model.Value{Name: n.Outputs[i], Type: &model.Type{Kind: model.KindTensor, Shape: shape}})
		}
	}
	st.layer = n.Name
	if err := d.params(params, kind.params, "", "", st, depth); err != nil {
		return nil, within(err, "layer %q (%s)", n.Name, kind.name)
	}
	return st, nil
}

// layerTensor reads a layer's Tensor (rank = 1, dimValue = 2): a shape.
func (d *decoder) layerTensor(msg field) (model.Shape, error) {
	shape := model.Shape{}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		if f.Num != 2 {
			return nil
		}
		dims, _, err := f.wire().Ints(nil, 64-len(shape))
		for _, n := range dims {
			shape = append(shape, dim(n))
		}
		return err
	})
	return shape, err
}

// params decodes the fields of a params message named msgName: scalars as
// attributes (prefixed with attrPrefix), WeightParams as tensors named
// "<layer>/<wprefix><field>", nested networks as subgraphs.
func (d *decoder) params(msg field, msgName, attrPrefix, wprefix string, st *layerState, depth pbwire.Depth) error {
	depth, err := depth.Enter()
	if err != nil {
		return err
	}
	fields := paramFields[msgName]
	seen := map[int32]int{}
	return d.src.sub(d.ctx, msg, func(f field) error {
		pf, ok := lookupField(fields, int32(f.Num))
		if !ok {
			return nil
		}
		idx := seen[pf.num]
		seen[pf.num]++
		return d.paramField(f, pf, idx, attrPrefix, wprefix, st, depth)
	})
}

func lookupField(fields []paramField, num int32) (paramField, bool) {
	for _, pf := range fields {
		if pf.num == num {
			return pf, true
		}
	}
	return paramField{}, false
}

// paramField decodes one field of a params message; idx counts earlier
// occurrences of a repeated message field.
func (d *decoder) paramField(f field, pf paramField, idx int, attrPrefix, wprefix string, st *layerState, depth pbwire.Depth) error {
	if err := d.charge(costValue); err != nil {
		return err
	}
	n := st.node
	if pf.oneof != "" && pf.kind == kMessage {
		n.Attrs = append(n.Attrs, model.Attribute{Name: attrPrefix + pf.oneof, Type: model.AttrString, String: pf.name})
	}
	switch pf.kind {
	case kWeights:
		name := wprefix + pf.name
		if pf.repeated && idx > 0 {
			name = fmt.Sprintf("%s/%d", name, idx)
		}
		t, err := d.weights(f, st.layer+"/"+name)
		if err != nil || t == nil {
			return err
		}
		st.tensors = append(st.tensors, t)
		n.Inputs = append(n.Inputs, t.Name)
	case kNetwork:
		g, err := d.network(f, depth, nil)
		if err != nil {
			return within(err, "%s", pf.name)
		}
		st.tensors = append(st.tensors, g.Initializers...)
		n.Attrs = append(n.Attrs, model.Attribute{Name: pf.name, Type: model.AttrGraph, Graphs: []*model.Graph{g}})
	case kMessage:
		wp := wprefix
		if pf.repeated && idx > 0 {
			wp = fmt.Sprintf("%s%d/", wprefix, idx)
		}
		return d.params(f, pf.msg, attrPrefix+pf.name+".", wp, st, depth)
	default:
		if a, ok := scalarAttr(f, pf, attrPrefix); ok {
			n.Attrs = mergeAttr(n.Attrs, a)
		}
	}
	return nil
}
