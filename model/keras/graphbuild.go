package keras

import (
	"fmt"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// graphBuilder turns a parsed config into a graph in named stages: index
// the weights by layer, count each layer call's outputs, add the layers,
// then the outputs, the unattached weights and the value types.
type graphBuilder struct {
	cm         *configModel
	g          *model.Graph
	functional bool // layers name their inbound calls
	byLayer    map[string][]*model.Tensor
	attached   map[*model.Tensor]bool
	maxTensor  map[[2]string]int // highest output index used per layer call
	types      map[string]*model.Type
	typed      []string // value names with a type, in first-seen order
	prev       string   // the previous layer's output (sequential models)
}

// graph builds the model's graph, attaching weights through owner (which
// maps a weight name to its layer; nil attaches none).
func (cm *configModel) graph(weights []*model.Tensor, owner func(string) string) *model.Graph {
	b := &graphBuilder{
		cm:        cm,
		g:         &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: []*model.Node{}},
		byLayer:   map[string][]*model.Tensor{},
		attached:  map[*model.Tensor]bool{},
		maxTensor: map[[2]string]int{},
		types:     map[string]*model.Type{},
	}
	b.indexWeights(weights, owner)
	b.countOutputs()
	for i, l := range cm.layers {
		b.addLayer(i, l)
	}
	b.addOutputs()
	for _, t := range weights {
		if !b.attached[t] {
			b.g.Initializers = append(b.g.Initializers, t)
		}
	}
	if !b.functional {
		b.propagateBack()
	}
	b.addValueInfo()
	return b.g
}

// indexWeights groups the weights by owning layer and notes whether the
// model is functional.
func (b *graphBuilder) indexWeights(weights []*model.Tensor, owner func(string) string) {
	if owner != nil {
		for _, t := range weights {
			if o := owner(t.Name); o != "" {
				b.byLayer[o] = append(b.byLayer[o], t)
			}
		}
	}
	for _, l := range b.cm.layers {
		if len(l.inbound) > 0 {
			b.functional = true
		}
	}
}

// countOutputs finds how many outputs each layer call must provide
// (multi-output layers), from the references to it.
func (b *graphBuilder) countOutputs() {
	use := func(r ref) {
		k := [2]string{r.layer, strconv.Itoa(r.node)}
		b.maxTensor[k] = max(b.maxTensor[k], r.tensorIx)
	}
	for _, l := range b.cm.layers {
		for _, call := range l.inbound {
			for _, r := range call {
				use(r)
			}
		}
	}
	for _, r := range b.cm.outputs {
		use(r)
	}
}

// setType records a value's type the first time one with a shape is seen.
func (b *graphBuilder) setType(name string, t *model.Type) {
	if _, ok := b.types[name]; ok || t == nil || t.Shape == nil {
		return
	}
	b.types[name] = t
	b.typed = append(b.typed, name)
}

// addLayer adds layer i: an input, or one node per call of the layer.
func (b *graphBuilder) addLayer(i int, l *layer) {
	if l.class == "InputLayer" {
		b.g.Inputs = append(b.g.Inputs, &model.Value{Name: l.name, Type: inputType(l.config)})
		b.prev = l.name
		return
	}
	if i == 0 && !b.functional {
		if shape := batchShape(l.config); shape != nil {
			in := l.name + "_input"
			b.g.Inputs = append(b.g.Inputs, &model.Value{Name: in, Type: inputType(l.config)})
			b.prev = in
		}
	}
	calls := l.inbound
	if !b.functional || len(calls) == 0 {
		var in []ref
		if b.prev != "" && !b.functional {
			in = []ref{{layer: b.prev}}
		}
		calls = [][]ref{in}
	}
	for k, call := range calls {
		b.g.Nodes = append(b.g.Nodes, b.callNode(l, k, call))
	}
	b.prev = l.name
}

// callNode is the node of call k of layer l; the first call holds the
// layer's weights.
func (b *graphBuilder) callNode(l *layer, k int, call []ref) *model.Node {
	n := &model.Node{Name: l.name, OpType: l.class, Inputs: []string{}, Category: categoryOf(l)}
	if k > 0 {
		n.Name = fmt.Sprintf("%s#%d", l.name, k)
	}
	for _, r := range call {
		n.Inputs = append(n.Inputs, valueName(r))
		b.setType(valueName(r), r.typ)
	}
	if !b.functional && b.prev != "" && l.buildInput != nil {
		b.setType(b.prev, tensorType(l.buildInput, l.config["dtype"]))
	}
	if k == 0 {
		for _, t := range b.byLayer[l.name] {
			n.Inputs = append(n.Inputs, t.Name)
			b.g.Initializers = append(b.g.Initializers, t)
			b.attached[t] = true
		}
	}
	for t := 0; t <= b.maxTensor[[2]string{l.name, strconv.Itoa(k)}]; t++ {
		n.Outputs = append(n.Outputs, valueName(ref{layer: l.name, node: k, tensorIx: t}))
	}
	n.Attrs = attributes(l)
	if l.sub != nil {
		sg := l.sub.graph(nil, nil)
		n.Attrs = append(n.Attrs, model.Attribute{Name: "model", Type: model.AttrGraph, Graphs: []*model.Graph{sg}})
	}
	return n
}

// addOutputs names the graph's outputs: the config's, else the last
// node's first output.
func (b *graphBuilder) addOutputs() {
	g := b.g
	if b.functional && len(b.cm.outputs) > 0 {
		for _, r := range b.cm.outputs {
			g.Outputs = append(g.Outputs, &model.Value{Name: valueName(r)})
		}
	} else if len(g.Nodes) > 0 {
		last := g.Nodes[len(g.Nodes)-1]
		g.Outputs = append(g.Outputs, &model.Value{Name: last.Outputs[0]})
	}
}

// propagateBack gives shape-preserving layers' inputs their output's type
// (a Dropout's input has its output's shape), last layer first.
func (b *graphBuilder) propagateBack() {
	for i := len(b.g.Nodes) - 1; i >= 0; i-- {
		n := b.g.Nodes[i]
		if t, ok := b.types[n.Outputs[0]]; ok && len(n.Inputs) > 0 && shapePreserving[n.OpType] {
			b.setType(n.Inputs[0], t)
		}
	}
}

// addValueInfo records the types found for values other than inputs.
func (b *graphBuilder) addValueInfo() {
	inputs := map[string]bool{}
	for _, v := range b.g.Inputs {
		inputs[v.Name] = true
	}
	for _, name := range b.typed {
		if !inputs[name] {
			b.g.ValueInfo = append(b.g.ValueInfo, &model.Value{Name: name, Type: b.types[name]})
		}
	}
}
