package model

import (
	"strconv"
	"strings"
)

// ParamGroup is one cell of a parameter map: a name scope of the graph
// ("blk.3", "/encoder/layer.0"), a node, or a tensor, with the parameters
// and bytes of the weights under it. A tensor counts once, under the
// first node that consumes it (a tied embedding is not counted twice);
// tensors no node consumes are placed by their own name.
type ParamGroup struct {
	// Name is the last component of Path, or the whole name of a node or
	// tensor whose name has no scope.
	Name string `json:"name"`
	// Path is the scope path, the node's name or the tensor's name; ""
	// for the root.
	Path string `json:"path"`
	// Params and Bytes sum the tensors under the cell; Bytes counts what
	// the file stores (block-quantised sizes included) when known.
	Params int64 `json:"params"`
	Bytes  int64 `json:"bytes"`
	// DTypes maps each data type under the cell to its parameter count.
	DTypes map[DType]int64 `json:"dtypes"`
	// Node is the index in the graph's Nodes of the node the cell is (or
	// whose weight it is); -1 for scopes and unconsumed tensors.
	Node int `json:"node"`
	// Tensor names the tensor of a leaf cell.
	Tensor string `json:"tensor,omitempty"`
	// Children are the cells inside, in graph order.
	Children []*ParamGroup `json:"children,omitempty"`
}

// maxParamDepth bounds the scope levels taken from one name (as the
// layout's groups do).
const maxParamDepth = 12

// ParamTree returns the parameter map of g's weights (its initializers):
// the scopes of the consuming nodes' names, the nodes, and their tensors.
// A node with a single tensor is itself the leaf.
func ParamTree(g *Graph) *ParamGroup {
	root := &ParamGroup{DTypes: map[DType]int64{}, Node: -1}
	if g == nil {
		return root
	}
	pt := &paramTree{root: root, cells: map[string]*ParamGroup{}}
	weights := make(map[string]*Tensor, len(g.Initializers))
	for _, t := range g.Initializers {
		if _, ok := weights[t.Name]; !ok {
			weights[t.Name] = t
		}
	}
	for i, n := range g.Nodes {
		var ts []*Tensor
		for _, in := range n.Inputs {
			if t, ok := weights[in]; ok {
				ts = append(ts, t)
				delete(weights, in)
			}
		}
		if len(ts) > 0 {
			pt.node(i, n, ts)
		}
	}
	for _, t := range g.Initializers {
		if _, ok := weights[t.Name]; ok {
			delete(weights, t.Name)
			pt.leaf(pt.scope(t.Name), t.Name, lastScope(t.Name), -1, t)
		}
	}
	return root
}

type paramTree struct {
	root  *ParamGroup
	cells map[string]*ParamGroup // scope and node cells by path
}

// node adds node i's cell and its tensors.
func (pt *paramTree) node(i int, n *Node, ts []*Tensor) {
	name := n.Name
	if name == "" {
		name = "#" + strconv.Itoa(i) + " " + n.OpType
	}
	chain := pt.scope(name)
	if len(ts) == 1 {
		pt.leaf(chain, name, lastScope(name), i, ts[0])
		return
	}
	cell := pt.child(chain[len(chain)-1], name, lastScope(name), i)
	chain = append(chain, cell)
	for _, t := range ts {
		short := strings.TrimLeft(strings.TrimPrefix(t.Name, name), "./:")
		if short == "" {
			short = t.Name
		}
		pt.leaf(chain, t.Name, short, i, t)
	}
}

// leaf adds a tensor cell under the last cell of chain and adds its sizes
// to every cell of the chain.
func (pt *paramTree) leaf(chain []*ParamGroup, path, name string, node int, t *Tensor) {
	c := &ParamGroup{Name: name, Path: path, Node: node, Tensor: t.Name, DTypes: map[DType]int64{}}
	parent := chain[len(chain)-1]
	parent.Children = append(parent.Children, c)
	params, _ := NumElements(t.Shape)
	bytes := TensorBytes(t)
	for _, p := range append(chain, c) {
		p.Params += params
		p.Bytes += bytes
		p.DTypes[t.DType] += params
	}
}

// scope returns the chain of scope cells of name, from the root down,
// creating the missing ones.
func (pt *paramTree) scope(name string) []*ParamGroup {
	chain := []*ParamGroup{pt.root}
	cut := name
	if i := strings.IndexByte(cut, ';'); i >= 0 {
		cut = cut[:i]
	}
	sep := scopeSep(cut)
	if sep == 0 {
		return chain
	}
	start := 0
	for i := 0; i < len(cut) && len(chain) <= maxParamDepth; i++ {
		if cut[i] != sep {
			continue
		}
		if i > start {
			chain = append(chain, pt.child(chain[len(chain)-1], cut[:i], cut[start:i], -1))
		}
		start = i + 1
	}
	return chain
}

// child returns the cell of path under parent, creating it; a node and a
// scope of the same path share one cell.
func (pt *paramTree) child(parent *ParamGroup, path, name string, node int) *ParamGroup {
	if c, ok := pt.cells[path]; ok {
		if c.Node < 0 {
			c.Node = node
		}
		return c
	}
	c := &ParamGroup{Name: name, Path: path, Node: node, DTypes: map[DType]int64{}}
	pt.cells[path] = c
	parent.Children = append(parent.Children, c)
	return c
}

// scopeSep is the separator of a name's scopes: '/' when it has one, else
// '.', else 0.
func scopeSep(name string) byte {
	switch {
	case strings.IndexByte(name, '/') >= 0:
		return '/'
	case strings.IndexByte(name, '.') >= 0:
		return '.'
	}
	return 0
}

// lastScope is a name's last component.
func lastScope(name string) string {
	if i := strings.IndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	sep := scopeSep(name)
	if sep == 0 {
		return name
	}
	if i := strings.LastIndexByte(strings.TrimRight(name, string(sep)), sep); i >= 0 && i+1 < len(name) {
		return name[i+1:]
	}
	return name
}

// TensorBytes is the size of t's data: the stored length when known (so
// block-quantised and compressed tensors count what they take), else
// elements times the dtype's size, else 0.
func TensorBytes(t *Tensor) int64 {
	if t.Location != nil && t.Location.Length > 0 {
		return t.Location.Length
	}
	n, ok := NumElements(t.Shape)
	size, known := DTypeSize(t.DType)
	if !ok || !known {
		return 0
	}
	return n * int64(size)
}
