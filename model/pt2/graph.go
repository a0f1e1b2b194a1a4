package pt2

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxGraphDepth bounds how deeply as_graph arguments (cond branches, map
// bodies) may nest.
const maxGraphDepth = 32

// maxListValues is how many values of a list argument an attribute keeps.
const maxListValues = 1 << 12

// converter turns schema graphs into model graphs. rename maps placeholder
// names of the top-level graph to what the model calls them (parameters by
// their fully-qualified name).
type converter struct {
	rename map[string]string
}

func (c *converter) name(s string) string {
	if r, ok := c.rename[s]; ok {
		return r
	}
	return s
}

// graph converts g; depth counts as_graph nesting.
func (c *converter) graph(g *graph, name string, depth int) (*model.Graph, error) {
	if depth > maxGraphDepth {
		return nil, fmt.Errorf("subgraphs nest more than %d deep", maxGraphDepth)
	}
	out := &model.Graph{Name: name, Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: make([]*model.Node, 0, len(g.Nodes))}
	for i := range g.Nodes {
		n, err := c.node(&g.Nodes[i], depth)
		if err != nil && depth == 0 {
			return nil, fmt.Errorf("node %d (%s): %w", i, g.Nodes[i].Target, err)
		}
		if err != nil {
			return nil, err // named once, at the top level
		}
		out.Nodes = append(out.Nodes, n)
	}
	return out, nil
}

// subgraph converts a nested graph: its inputs and outputs are its own
// placeholders, typed from its tensor_values.
func (c *converter) subgraph(g *graph, name string, depth int) (*model.Graph, error) {
	inner := &converter{}
	out, err := inner.graph(g, name, depth)
	if err != nil {
		return nil, err
	}
	out.Inputs = values(g, g.Inputs, nil)
	out.Outputs = values(g, g.Outputs, nil)
	out.ValueInfo = valueInfo(g, nil)
	return out, nil
}

// node converts one node: tensor and symbolic arguments become inputs,
// constants become typed attributes, graphs become subgraph attributes.
func (c *converter) node(n *node, depth int) (*model.Node, error) {
	op := n.Target
	m := &model.Node{OpType: op, Inputs: []string{}, Outputs: []string{}, Category: category(op)}
	for _, a := range n.Inputs {
		if err := c.input(m, a, depth); err != nil && depth == 0 {
			return nil, fmt.Errorf("argument %q: %w", a.Name, err)
		} else if err != nil {
			return nil, err
		}
	}
	for _, o := range n.Outputs {
		m.Outputs = append(m.Outputs, c.refs(o)...)
	}
	switch {
	case n.Name != nil && *n.Name != "":
		m.Name = *n.Name
	case len(m.Outputs) > 0:
		m.Name = m.Outputs[0]
	}
	if st := n.Metadata["stack_trace"]; st != "" {
		m.Doc = st
	}
	if s := n.Metadata["nn_module_stack"]; s != "" {
		m.Attrs = append(m.Attrs, model.Attribute{Name: "nn_module_stack", Type: model.AttrString, String: s, Doc: "node metadata"})
	}
	return m, nil
}

// input adds one named argument to m.
func (c *converter) input(m *model.Node, a namedArgument, depth int) error {
	u := a.Arg
	if u.Kind == "as_graph" {
		var ga struct {
			Name  string `json:"name"`
			Graph *graph `json:"graph"`
		}
		if err := json.Unmarshal(u.Value, &ga); err != nil {
			return err
		}
		if ga.Graph == nil {
			return fmt.Errorf("graph argument without a graph")
		}
		g, err := c.subgraph(ga.Graph, ga.Name, depth+1)
		if err != nil {
			return err
		}
		m.Attrs = append(m.Attrs, model.Attribute{Name: a.Name, Type: model.AttrGraph, Graphs: []*model.Graph{g}})
		return nil
	}
	if refs := c.refs(u); refs != nil {
		m.Inputs = append(m.Inputs, refs...)
		return nil
	}
	m.Attrs = append(m.Attrs, constAttr(a.Name, u))
	return nil
}

// refs returns the value names an argument refers to (tensors, symbolic
// values, tokens), "" for an absent optional tensor, or nil when the
// argument is a constant.
func (c *converter) refs(u union) []string {
	var names []string
	switch u.Kind {
	case "as_tensor", "as_sym_int", "as_sym_bool", "as_sym_float", "as_optional_tensor", "as_token", "as_custom_obj":
		names = append(names, c.ref(u.Value))
	case "as_tensors", "as_sym_ints", "as_sym_bools", "as_sym_floats", "as_optional_tensors":
		var items []json.RawMessage
		if json.Unmarshal(u.Value, &items) != nil {
			return nil
		}
		for _, it := range items {
			names = append(names, c.ref(it))
		}
		if names == nil {
			names = []string{}
		}
	case "as_nested_tensors":
		var lists [][]json.RawMessage
		if json.Unmarshal(u.Value, &lists) != nil {
			return nil
		}
		names = []string{}
		for _, l := range lists {
			for _, it := range l {
				names = append(names, c.ref(it))
			}
		}
	default:
		return nil
	}
	return names
}

// ref reads {"name": n}, {"as_name": n}, {"as_tensor": {"name": n}} or
// {"as_none": ...}; constants inside symbolic lists give "".
func (c *converter) ref(raw json.RawMessage) string {
	var a argName
	if json.Unmarshal(raw, &a) == nil && a.Name != "" {
		return c.name(a.Name)
	}
	var u union
	if json.Unmarshal(raw, &u) != nil {
		return ""
	}
	switch u.Kind {
	case "as_name":
		var s string
		_ = json.Unmarshal(u.Value, &s)
		return c.name(s)
	case "as_tensor":
		return c.ref(u.Value)
	}
	return ""
}

// constAttr makes a typed attribute of a constant argument.
func constAttr(name string, u union) model.Attribute {
	a := model.Attribute{Name: name}
	v := u.Value
	var ok bool
	switch u.Kind {
	case "as_int", "as_scalar_type", "as_memory_format", "as_layout":
		a.Type = model.AttrInt
		ok = json.Unmarshal(v, &a.Int) == nil
		if u.Kind == "as_scalar_type" {
			a.Type, a.String = model.AttrString, string(scalarTypes[a.Int])
		}
	case "as_float":
		a.Type = model.AttrFloat
		ok = json.Unmarshal(v, &a.Float) == nil
	case "as_bool":
		var b bool
		ok = json.Unmarshal(v, &b) == nil
		a.Type, a.Int = model.AttrBool, b2i(b)
	case "as_string", "as_operator":
		a.Type = model.AttrString
		ok = json.Unmarshal(v, &a.String) == nil
	case "as_ints", "as_bools":
		a.Type, ok = model.AttrInts, listInts(v, &a)
	case "as_floats":
		var fs []float64
		ok = json.Unmarshal(v, &fs) == nil
		a.Type, a.Floats = model.AttrFloats, truncFloats(fs, &a)
	case "as_strings":
		var ss []string
		ok = json.Unmarshal(v, &ss) == nil
		if len(ss) > maxListValues {
			a.Truncated, a.Count, ss = true, int64(len(ss)), ss[:maxListValues]
		}
		a.Type, a.Strings = model.AttrStrings, ss
	case "as_none", "":
		a.Type, a.String, ok = model.AttrOther, "None", true
	}
	if !ok {
		a.Type, a.String = model.AttrOther, clip(u.Kind+": "+string(v), 256)
	}
	return a
}

func listInts(v json.RawMessage, a *model.Attribute) bool {
	var raw []json.RawMessage
	if json.Unmarshal(v, &raw) != nil {
		return false
	}
	a.Ints = make([]int64, 0, min(len(raw), maxListValues))
	for i, r := range raw {
		if i == maxListValues {
			a.Truncated, a.Count = true, int64(len(raw))
			break
		}
		var n int64
		var b bool
		switch {
		case json.Unmarshal(r, &n) == nil:
		case json.Unmarshal(r, &b) == nil:
			n = b2i(b)
		default:
			return false
		}
		a.Ints = append(a.Ints, n)
	}
	return true
}

func truncFloats(fs []float64, a *model.Attribute) []float64 {
	if len(fs) > maxListValues {
		a.Truncated, a.Count = true, int64(len(fs))
		return fs[:maxListValues]
	}
	if fs == nil {
		return []float64{}
	}
	return fs
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// values types the arguments args from g's tensor_values; rename maps
// stored names to shown ones.
func values(g *graph, args []union, c *converter) []*model.Value {
	out := []*model.Value{}
	for _, a := range args {
		conv := c
		if conv == nil {
			conv = &converter{}
		}
		for _, name := range conv.refs(a) {
			out = append(out, value(g, name, name))
		}
	}
	return out
}

// value is the named value stored as key in g.tensor_values.
func value(g *graph, key, name string) *model.Value {
	v := &model.Value{Name: name}
	if t := g.TensorValues[key]; t != nil {
		v.Type = t.tensorType()
	}
	return v
}

// valueInfo types every tensor value of g except those in skip.
func valueInfo(g *graph, skip map[string]bool) []*model.Value {
	var out []*model.Value
	for _, key := range sortedKeys(g.TensorValues) {
		if !skip[key] {
			out = append(out, value(g, key, key))
		}
	}
	return out
}

// category gives display hints from the aten operator name
// ("torch.ops.aten.conv2d.default" -> conv2d).
func category(target string) string {
	op := target
	if parts := strings.Split(target, "."); len(parts) >= 4 && parts[0] == "torch" && parts[1] == "ops" {
		op = parts[3]
	}
	op = strings.TrimPrefix(op, "_")
	switch {
	case strings.HasPrefix(target, "torch.ops.higher_order."):
		return "control"
	case strings.HasPrefix(op, "conv"), op == "linear", op == "addmm", op == "mm", op == "bmm", op == "matmul",
		op == "embedding", op == "scaled_dot_product_attention", op == "lstm", op == "gru":
		return "layer"
	case strings.Contains(op, "norm"):
		return "normalization"
	case strings.Contains(op, "pool"):
		return "pooling"
	case op == "relu" || op == "relu_" || op == "gelu" || op == "silu" || op == "sigmoid" || op == "tanh" ||
		op == "leaky_relu" || op == "hardtanh" || op == "hardswish" || op == "softmax" || op == "log_softmax" ||
		op == "elu" || op == "mish":
		return "activation"
	case op == "view" || op == "reshape" || op == "permute" || op == "t" || op == "transpose" || op == "squeeze" ||
		op == "unsqueeze" || op == "flatten" || op == "cat" || op == "expand" || op == "slice" || op == "select" ||
		op == "index_select" || op == "split" || op == "chunk" || op == "clone" || op == "contiguous" || op == "getitem":
		return "shape"
	}
	return ""
}
