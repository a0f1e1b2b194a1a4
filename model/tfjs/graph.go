package tfjs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Bounds of the graph decoder.
const (
	maxPorts     = 1 << 20 // highest output port referenced
	denseOutputs = 16      // below this, every port up to the highest is listed
	maxFuncDepth = 32      // function bodies nested as subgraphs
)

// graphTopology is modelTopology of a graph model: a GraphDef.
type graphTopology struct {
	Node    []nodeDef `json:"node"`
	Library struct {
		Function []functionDef `json:"function"`
	} `json:"library"`
	Versions struct {
		Producer jint `json:"producer"`
	} `json:"versions"`
}

// funcRef is a node attribute naming a library function.
type funcRef struct {
	node *model.Node
	attr int
	name string
}

// graphBuilder turns NodeDefs into IR graphs, remembering the function
// references of each graph for attachFunctions.
type graphBuilder struct {
	w    *weights
	refs map[*model.Graph][]funcRef
}

// decodeGraphModel builds the main graph and the function library.
func decodeGraphModel(ctx context.Context, m *model.Model, mf *file, w *weights) error {
	var topo graphTopology
	if err := json.Unmarshal(mf.ModelTopology, &topo); err != nil {
		return fmt.Errorf("modelTopology: %w", err)
	}
	gb := &graphBuilder{w: w, refs: map[*model.Graph][]funcRef{}}
	g := gb.build(topo.Node, "", nil)
	g.Initializers = w.tensors
	g.Outputs = signatureOutputs(mf)
	if err := ctx.Err(); err != nil {
		return err
	}
	funcs := map[string]*model.Graph{}
	var order []string
	counts := map[string]any{}
	for _, f := range topo.Library.Function {
		name := f.Signature.Name
		if _, dup := funcs[name]; dup {
			continue
		}
		funcs[name] = gb.function(f)
		order = append(order, name)
		counts[name] = len(f.NodeDef)
	}
	m.Graph = g
	m.FunctionsInNodeCount = true
	m.Functions = gb.attachFunctions(g, funcs, order)
	m.Facts["functions"] = counts
	if p := topo.Versions.Producer; p != 0 {
		m.Metadata["producer"] = strconv.FormatInt(int64(p), 10)
	}
	return nil
}

// build converts nodes into a graph. In a function body (fn set) bare
// names are the function's arguments, and constants are named
// "<function>/<node>" in the weights manifest.
func (gb *graphBuilder) build(nodes []nodeDef, fn string, args map[string]bool) *model.Graph {
	g := &model.Graph{Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: make([]*model.Node, 0, len(nodes))}
	ports := referencedPorts(nodes, args)
	for _, n := range nodes {
		node := gb.node(g, n, args)
		for _, p := range ports.outputs(n.Name) {
			node.Outputs = append(node.Outputs, n.Name+":"+strconv.Itoa(p))
		}
		switch n.Op {
		case "Placeholder", "PlaceholderWithDefault":
			if n.Op == "Placeholder" {
				g.Inputs = append(g.Inputs, &model.Value{Name: n.Name, Type: placeholderType(n)})
				node.Inputs = append([]string{n.Name}, node.Inputs...)
			}
		case "Const":
			wname := n.Name
			if fn != "" {
				wname = fn + "/" + n.Name
			}
			if t, ok := gb.w.byName[wname]; ok {
				node.Inputs = append(node.Inputs, t.Name)
				for i := range node.Attrs {
					if node.Attrs[i].Name == "value" && node.Attrs[i].Type == model.AttrTensor {
						node.Attrs[i].Tensors = []*model.Tensor{t}
					}
				}
				if fn != "" {
					g.Initializers = append(g.Initializers, t)
				}
			}
		}
		g.Nodes = append(g.Nodes, node)
	}
	return g
}

// node converts one NodeDef; control inputs ("^name") become an
// attribute.
func (gb *graphBuilder) node(g *model.Graph, n nodeDef, args map[string]bool) *model.Node {
	node := &model.Node{Name: n.Name, OpType: n.Op, Inputs: []string{}, Category: category(n.Op)}
	var control []string
	for _, in := range n.Input {
		if v, ok := normalizeRef(in, args); ok {
			node.Inputs = append(node.Inputs, v)
		} else {
			control = append(control, strings.TrimPrefix(in, "^"))
		}
	}
	for _, k := range sortedKeys(n.Attr) {
		a, fns := attribute(k, n.Attr[k])
		node.Attrs = append(node.Attrs, a)
		for _, f := range fns {
			gb.refs[g] = append(gb.refs[g], funcRef{node: node, attr: len(node.Attrs) - 1, name: f})
		}
	}
	if len(control) > 0 {
		node.Attrs = append(node.Attrs, model.Attribute{Name: "control_inputs", Type: model.AttrStrings, Strings: control})
	}
	if n.Device != "" {
		node.Attrs = append(node.Attrs, model.Attribute{Name: "device", Type: model.AttrString, String: n.Device})
	}
	return node
}

// function converts a library function: arguments as inputs, its ret
// values as outputs.
func (gb *graphBuilder) function(f functionDef) *model.Graph {
	args := map[string]bool{}
	for _, a := range f.Signature.InputArg {
		args[a.Name] = true
	}
	g := gb.build(f.NodeDef, f.Signature.Name, args)
	g.Name = f.Signature.Name
	for _, a := range f.Signature.InputArg {
		g.Inputs = append(g.Inputs, &model.Value{Name: a.Name, Type: &model.Type{Kind: model.KindTensor, DType: a.Type.dtype()}})
	}
	for _, a := range f.Signature.OutputArg {
		v, ok := normalizeRef(f.Ret[a.Name], args)
		if !ok || f.Ret[a.Name] == "" {
			continue
		}
		g.Outputs = append(g.Outputs, &model.Value{Name: v, Type: &model.Type{Kind: model.KindTensor, DType: a.Type.dtype()}, Doc: a.Name})
	}
	return g
}

// attachFunctions makes each library function enterable from the first
// node that calls it (breadth first from the main graph), as that node's
// subgraph; later references name it. Functions no node reaches are
// returned, to be kept in Model.Functions. Each body is held once, so the
// node count covers every function exactly once.
func (gb *graphBuilder) attachFunctions(main *model.Graph, funcs map[string]*model.Graph, order []string) []*model.Graph {
	attached := map[string]bool{}
	type item struct {
		g     *model.Graph
		depth int
	}
	queue := []item{{main, 0}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, r := range gb.refs[it.g] {
			body, ok := funcs[r.name]
			if !ok || attached[r.name] || it.depth >= maxFuncDepth {
				continue
			}
			attached[r.name] = true
			a := &r.node.Attrs[r.attr]
			a.Graphs = append(a.Graphs, body)
			if a.Type == model.AttrString {
				a.Type = model.AttrGraph
			} else {
				a.Type = model.AttrGraphs
			}
			queue = append(queue, item{body, it.depth + 1})
		}
	}
	var rest []*model.Graph
	for _, name := range order {
		if !attached[name] {
			rest = append(rest, funcs[name])
		}
	}
	return rest
}

// portSet records the output ports of each node that inputs refer to.
type portSet map[string]map[int]bool

func referencedPorts(nodes []nodeDef, args map[string]bool) portSet {
	ps := portSet{}
	for _, n := range nodes {
		for _, in := range n.Input {
			if v, ok := normalizeRef(in, args); ok {
				node, port := splitPort(v)
				if port > maxPorts {
					continue
				}
				if ps[node] == nil {
					ps[node] = map[int]bool{}
				}
				ps[node][port] = true
			}
		}
	}
	return ps
}

// outputs lists a node's outputs: ports 0 to the highest one used, or
// only the ports used when that is high (so a few references cannot
// make thousands of outputs).
func (ps portSet) outputs(node string) []int {
	used := ps[node]
	top := 0
	for p := range used {
		top = max(top, p)
	}
	if top < denseOutputs {
		out := make([]int, top+1)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := []int{0}
	for p := range used {
		if p != 0 {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// normalizeRef turns a NodeDef input into a value name "node:port";
// control inputs return false. In function bodies "node:arg:index"
// becomes "node:index" and bare names of arguments stay as they are.
func normalizeRef(in string, args map[string]bool) (string, bool) {
	if in == "" || strings.HasPrefix(in, "^") {
		return "", false
	}
	if args[in] {
		return in, true
	}
	parts := strings.Split(in, ":")
	if len(parts) >= 3 {
		return parts[0] + ":" + parts[len(parts)-1], true
	}
	if len(parts) == 2 {
		if _, err := strconv.Atoi(parts[1]); err == nil {
			return in, true
		}
	}
	return in + ":0", true
}

// splitPort splits "node:port".
func splitPort(v string) (string, int) {
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return v, 0
	}
	p, err := strconv.Atoi(v[i+1:])
	if err != nil || p < 0 {
		return v, 0
	}
	return v[:i], p
}

// placeholderType reads a Placeholder's dtype and shape attributes.
func placeholderType(n nodeDef) *model.Type {
	t := &model.Type{Kind: model.KindTensor}
	if a, ok := n.Attr["dtype"]; ok && a.Type != nil {
		t.DType = a.Type.dtype()
	}
	if a, ok := n.Attr["shape"]; ok {
		t.Shape = a.Shape.shape()
	}
	return t
}

// signatureOutputs lists the outputs of the model's signature (top level
// or in userDefinedMetadata), in stored order.
func signatureOutputs(mf *file) []*model.Value {
	sig := mf.Signature
	if len(sig) == 0 || string(sig) == "null" {
		var udm struct {
			Signature json.RawMessage `json:"signature"`
		}
		if json.Unmarshal(mf.UserDefinedMetadata, &udm) == nil {
			sig = udm.Signature
		}
	}
	var s struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	if len(sig) == 0 || json.Unmarshal(sig, &s) != nil || len(s.Outputs) == 0 {
		return []*model.Value{}
	}
	var outs map[string]struct {
		Name        string      `json:"name"`
		DType       jdtype      `json:"dtype"`
		TensorShape *shapeProto `json:"tensorShape"`
	}
	if json.Unmarshal(s.Outputs, &outs) != nil {
		return []*model.Value{}
	}
	vals := []*model.Value{}
	for _, k := range orderedKeys(s.Outputs) {
		o, ok := outs[k]
		if !ok {
			continue
		}
		name := o.Name
		if name == "" {
			name = k
		}
		vals = append(vals, &model.Value{Name: name, Doc: k, Type: &model.Type{Kind: model.KindTensor, DType: o.DType.dtype(), Shape: o.TensorShape.shape()}})
	}
	return vals
}

// category hints the viewer about TensorFlow ops its table does not know.
func category(op string) string {
	switch op {
	case "_FusedConv2D", "_FusedMatMul", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative", "Conv2DBackpropInput":
		return "layer"
	case "StatefulPartitionedCall", "PartitionedCall", "StatelessWhile", "StatelessIf", "While", "If",
		"Enter", "Exit", "Switch", "Merge", "NextIteration", "LoopCond":
		return "control"
	case "FusedBatchNorm", "FusedBatchNormV3":
		return "normalization"
	}
	return ""
}
