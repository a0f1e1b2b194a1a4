package model

import "strings"

// GraphData is a graph as data for scripts and tests (`inspect --json
// --graph`): nodes with their value inputs, outputs and weights, and the
// types of the values whose type is known.
type GraphData struct {
	Nodes  []GraphDataNode           `json:"nodes"`
	Values map[string]GraphDataValue `json:"values"`
}

// GraphDataNode is one node: Inputs are the values it reads that are not
// weights, Weights the tensors (initializers) it consumes, Group its name
// scope ("blk.3" for "blk.3.attn_q", "" at the top).
type GraphDataNode struct {
	Name    string   `json:"name"`
	Op      string   `json:"op"`
	Group   string   `json:"group"`
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
	Weights []string `json:"weights"`
}

// GraphDataValue is a value's element type and shape (dims are numbers,
// symbolic names, or null when unknown; a null shape is an unknown rank).
type GraphDataValue struct {
	DType DType `json:"dtype"`
	Shape Shape `json:"shape"`
}

// ExportGraph returns g as GraphData; a nil graph gives an empty one.
func ExportGraph(g *Graph) GraphData {
	d := GraphData{Nodes: []GraphDataNode{}, Values: map[string]GraphDataValue{}}
	if g == nil {
		return d
	}
	weights := make(map[string]bool, len(g.Initializers))
	for _, t := range g.Initializers {
		weights[t.Name] = true
		shape := make(Shape, len(t.Shape))
		for i, s := range t.Shape {
			shape[i] = IntDim(s)
		}
		d.Values[t.Name] = GraphDataValue{DType: t.DType, Shape: shape}
	}
	for _, vs := range [][]*Value{g.Inputs, g.Outputs, g.ValueInfo} {
		for _, v := range vs {
			if v.Type != nil && v.Type.Kind == KindTensor {
				d.Values[v.Name] = GraphDataValue{DType: v.Type.DType, Shape: v.Type.Shape}
			}
		}
	}
	for _, n := range g.Nodes {
		dn := GraphDataNode{Name: n.Name, Op: n.OpType, Group: groupOf(n.Name),
			Inputs: []string{}, Outputs: []string{}, Weights: []string{}}
		for _, in := range n.Inputs {
			switch {
			case in == "":
			case weights[in]:
				dn.Weights = append(dn.Weights, in)
			default:
				dn.Inputs = append(dn.Inputs, in)
			}
		}
		for _, o := range n.Outputs {
			if o != "" {
				dn.Outputs = append(dn.Outputs, o)
			}
		}
		d.Nodes = append(d.Nodes, dn)
	}
	return d
}

// groupOf is a node name's scope: up to its last '/' when it has one,
// else up to its last '.'.
func groupOf(name string) string {
	if i := strings.IndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	sep := "."
	if strings.Contains(name, "/") {
		sep = "/"
	}
	if i := strings.LastIndex(name, sep); i > 0 {
		return strings.Trim(name[:i], "/")
	}
	return ""
}
