package tensorflow

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// funcRef is a node attribute naming a library function, resolved into
// a subgraph when the graphs are linked.
type funcRef struct {
	node *model.Node
	attr string
	// index is the attribute's position in node.Attrs, or -1 when the
	// reference is a list member or the node's op itself (the linked
	// graph is then appended as a new attribute).
	index int
	name  string
}

// built is one graph in the IR with the function references of its nodes.
type built struct {
	g    *model.Graph
	refs []funcRef
}

// buildGraph turns NodeDefs into an IR graph. Values are named like
// TensorFlow tensors: "node:0", "node:1"; in function bodies "node:out:0"
// and argument names, as FunctionDef inputs spell them.
func buildGraph(name string, nodes []*nodeDef, inFunc bool) *built {
	b := &built{g: &model.Graph{Name: name, Inputs: []*model.Value{}, Outputs: []*model.Value{}, Nodes: make([]*model.Node, 0, len(nodes))}}
	names := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		names[n.name] = true
	}
	produced := map[string][]string{}
	seen := map[string]bool{}
	for _, n := range nodes {
		for _, in := range n.inputs {
			v, ok := valueName(in, inFunc)
			if !ok || seen[v] {
				continue
			}
			seen[v] = true
			if p := producerOf(v); names[p] {
				produced[p] = append(produced[p], v)
			}
		}
	}
	for _, n := range nodes {
		b.g.Nodes = append(b.g.Nodes, b.node(n, outputsOf(n.name, produced[n.name], inFunc), inFunc))
	}
	return b
}

// valueName normalises a NodeDef input to the value it names; control
// inputs ("^node") report false.
func valueName(in string, inFunc bool) (string, bool) {
	if strings.HasPrefix(in, "^") {
		return in[1:], false
	}
	parts := strings.Count(in, ":")
	switch {
	case !inFunc && parts == 0:
		return in + ":0", true
	case inFunc && parts == 1 && !isIndex(in[strings.IndexByte(in, ':')+1:]):
		return in + ":0", true
	case inFunc && parts == 1 && strings.HasSuffix(in, ":0"):
		return strings.TrimSuffix(in, ":0"), true // "arg:0" is the argument
	}
	return in, true
}

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// producerOf is the node name part of a value name.
func producerOf(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		return v[:i]
	}
	return v
}

// outputsOf lists a node's output values: the ones other nodes read, in
// order, and at least the first.
func outputsOf(name string, used []string, inFunc bool) []string {
	first := name + ":0"
	if inFunc {
		first = name + ":output:0"
	}
	sort.Slice(used, func(i, j int) bool { return lessValue(used[i], used[j]) })
	if len(used) == 0 || (!inFunc && used[0] != first) {
		return append([]string{first}, used...)
	}
	return used
}

// lessValue orders "n:2" before "n:10".
func lessValue(a, b string) bool {
	ia, ib := strings.LastIndexByte(a, ':'), strings.LastIndexByte(b, ':')
	if ia >= 0 && ib >= 0 && a[:ia] == b[:ib] {
		x, e1 := strconv.Atoi(a[ia+1:])
		y, e2 := strconv.Atoi(b[ib+1:])
		if e1 == nil && e2 == nil {
			return x < y
		}
	}
	return a < b
}

// node converts one NodeDef.
func (b *built) node(n *nodeDef, outputs []string, inFunc bool) *model.Node {
	mn := &model.Node{Name: n.name, OpType: n.op, Inputs: []string{}, Outputs: outputs, Category: category(n.op)}
	var control []string
	for _, in := range n.inputs {
		v, ok := valueName(in, inFunc)
		if !ok {
			control = append(control, v)
			continue
		}
		mn.Inputs = append(mn.Inputs, v)
	}
	for _, a := range n.attrs {
		ma := convertAttr(a)
		if a.val.kind == attrFunc && a.val.s != "" {
			b.refs = append(b.refs, funcRef{node: mn, attr: a.name, index: len(mn.Attrs), name: a.val.s})
		}
		for _, f := range a.val.funcs {
			b.refs = append(b.refs, funcRef{node: mn, attr: a.name, index: -1, name: f})
		}
		mn.Attrs = append(mn.Attrs, ma)
	}
	b.refs = append(b.refs, funcRef{node: mn, attr: "function", index: -1, name: n.op})
	if n.device != "" {
		mn.Attrs = append(mn.Attrs, model.Attribute{Name: "device", Type: model.AttrString, String: n.device})
	}
	if len(control) > 0 {
		mn.Attrs = append(mn.Attrs, model.Attribute{Name: "control_inputs", Type: model.AttrStrings, Strings: control})
	}
	return mn
}

// categories are display hints for common TensorFlow ops.
var categories = map[string]string{
	"Conv2D": "layer", "Conv3D": "layer", "DepthwiseConv2dNative": "layer", "MatMul": "layer",
	"BatchMatMulV2": "layer", "Conv2DBackpropInput": "layer", "BiasAdd": "layer",
	"Relu": "activation", "Relu6": "activation", "Sigmoid": "activation", "Tanh": "activation",
	"Softmax": "activation", "Elu": "activation", "LeakyRelu": "activation", "Selu": "activation",
	"MaxPool": "pooling", "AvgPool": "pooling", "FusedBatchNorm": "normalization",
	"FusedBatchNormV3": "normalization", "Reshape": "shape", "Squeeze": "shape",
	"ExpandDims": "shape", "Transpose": "shape", "ConcatV2": "tensor",
	"While": "control", "StatelessWhile": "control", "If": "control", "StatelessIf": "control",
	"Switch": "control", "Merge": "control", "Enter": "control", "Exit": "control",
	"NextIteration": "control", "LoopCond": "control", "PartitionedCall": "control",
	"StatefulPartitionedCall": "control", "Placeholder": "data", "Const": "data",
	"VarHandleOp": "data", "VariableV2": "data", "ReadVariableOp": "data",
}

func category(op string) string { return categories[op] }

// typeAttr is an IR tensor type of a DataType.
func typeAttr(dt int64) *model.Type { return &model.Type{Kind: model.KindTensor, DType: dtypeOf(dt)} }

// convertAttr types one NodeDef attribute for the IR.
func convertAttr(a *attr) model.Attribute {
	v := a.val
	ma := model.Attribute{Name: a.name}
	switch v.kind {
	case attrS, attrFunc:
		ma.Type, ma.String = model.AttrString, v.s
	case attrI:
		ma.Type, ma.Int = model.AttrInt, v.i
	case attrF:
		ma.Type, ma.Float = model.AttrFloat, v.f
	case attrB:
		ma.Type = model.AttrBool
		if v.b {
			ma.Int = 1
		}
	case attrType:
		ma.Type, ma.Types = model.AttrType_, []*model.Type{typeAttr(v.typ)}
	case attrShape:
		ma.Type, ma.String = model.AttrString, v.shape.String()
	case attrTensor:
		ma.Type, ma.Tensors = model.AttrTensor, []*model.Tensor{irTensor("", v.tensor)}
	case attrPlaceholder:
		ma.Type, ma.RefName = model.AttrRef, v.s
	case attrList:
		convertList(v, &ma)
	default:
		ma.Type = model.AttrOther
	}
	return ma
}

// convertList types a list attribute by the kind of values it holds.
func convertList(v attrValue, ma *model.Attribute) {
	switch {
	case len(v.ss) > 0:
		ma.Type, ma.Strings = model.AttrStrings, v.ss
	case len(v.is) > 0:
		ma.Type, ma.Ints = model.AttrInts, v.is
	case len(v.fs) > 0:
		ma.Type, ma.Floats = model.AttrFloats, v.fs
	case len(v.bs) > 0:
		ma.Type = model.AttrInts
		for _, b := range v.bs {
			ma.Ints = append(ma.Ints, map[bool]int64{true: 1}[b])
		}
	case len(v.types) > 0:
		ma.Type = model.AttrTypes
		for _, t := range v.types {
			ma.Types = append(ma.Types, typeAttr(t))
		}
	case len(v.shapes) > 0:
		ma.Type = model.AttrStrings
		for _, s := range v.shapes {
			ma.Strings = append(ma.Strings, s.String())
		}
	case len(v.tensors) > 0:
		ma.Type = model.AttrTensors
		for _, t := range v.tensors {
			ma.Tensors = append(ma.Tensors, irTensor("", t))
		}
	case len(v.funcs) > 0:
		ma.Type, ma.Strings = model.AttrStrings, v.funcs
	default:
		ma.Type = model.AttrInts
	}
	if v.count > maxListItems {
		ma.Truncated, ma.Count = true, int64(v.count)
	}
}

// irTensor is the IR tensor of a TensorProto.
func irTensor(name string, t *tensorInfo) *model.Tensor {
	if t == nil {
		return &model.Tensor{Name: name, Shape: []int64{}}
	}
	shape := t.shape.ints()
	if shape == nil {
		shape = []int64{}
	}
	out := &model.Tensor{Name: name, DType: dtypeOf(t.dtype), Shape: shape, Location: t.loc}
	if out.Location != nil && out.DType == "string" {
		loc := *out.Location
		loc.Encoding = model.EncOpaque
		out.Location = &loc
	}
	return out
}

// buildFunction turns a FunctionDef into a graph: arguments in, the
// return map (in output argument order) out.
func buildFunction(fn *funcDef) *built {
	b := buildGraph(fn.name, fn.nodes, true)
	for _, a := range fn.inputs {
		b.g.Inputs = append(b.g.Inputs, &model.Value{Name: a.name, Type: typeAttr(a.dtype)})
	}
	for _, a := range fn.outputs {
		r, ok := fn.ret[a.name]
		if !ok {
			continue
		}
		v, _ := valueName(r, true)
		b.g.Outputs = append(b.g.Outputs, &model.Value{Name: v, Type: typeAttr(a.dtype), Doc: "output " + a.name})
	}
	return b
}

// link attaches each library function to the first node (breadth-first
// from root) that calls it, as a subgraph the viewer can enter; each is
// attached once, so shared and recursive calls stay names. It returns the
// functions no node reaches, each with its own reachable callees linked.
func link(root *built, lib []*built) []*model.Graph {
	byName := make(map[string]int, len(lib))
	for i, f := range lib {
		if _, dup := byName[f.g.Name]; !dup {
			byName[f.g.Name] = i
		}
	}
	attached := make([]bool, len(lib))
	walkFrom := func(start *built) {
		queue := []*built{start}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, r := range cur.refs {
				i, ok := byName[r.name]
				if !ok || attached[i] {
					continue
				}
				attached[i] = true
				attach(r, lib[i].g)
				queue = append(queue, lib[i])
			}
		}
	}
	walkFrom(root)
	var rest []*model.Graph
	for i, f := range lib {
		if !attached[i] {
			attached[i] = true
			walkFrom(f)
			rest = append(rest, f.g)
		}
	}
	return rest
}

// attach makes a function reference a graph attribute.
func attach(r funcRef, g *model.Graph) {
	if r.index >= 0 && r.index < len(r.node.Attrs) {
		a := &r.node.Attrs[r.index]
		a.Type, a.Graphs, a.String, a.Doc = model.AttrGraph, []*model.Graph{g}, "", "function "+r.name
		return
	}
	r.node.Attrs = append(r.node.Attrs, model.Attribute{Name: r.attr, Type: model.AttrGraph, Graphs: []*model.Graph{g}, Doc: "function " + r.name})
}

// graphWithLibrary builds a GraphDef and its library, linked; it returns
// the graph and the functions no node reaches.
func graphWithLibrary(name string, g *graphDef) (*built, []*model.Graph) {
	root := buildGraph(name, g.nodes, false)
	lib := make([]*built, len(g.funcs))
	for i, f := range g.funcs {
		lib[i] = buildFunction(f)
	}
	return root, link(root, lib)
}

// funcNodeCount is the node count TensorFlow tools report for a graph:
// its nodes and every library function's.
func funcNodeCount(g *graphDef) int {
	n := len(g.nodes)
	for _, f := range g.funcs {
		n += len(f.nodes)
	}
	return n
}

// metaName names a non-main meta graph for the function list.
func metaName(i int, mg *metaGraph) string {
	return fmt.Sprintf("meta graph %d [%s]", i, strings.Join(mg.tags, ","))
}
