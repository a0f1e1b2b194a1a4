package model

// Summary is the stable, script-facing description printed by
// `modelpeek inspect --json`. Its JSON keys are a contract.
type Summary struct {
	Format   string          `json:"format"`
	Producer string          `json:"producer"`
	Nodes    int             `json:"nodes"`
	Ops      map[string]int  `json:"ops"`
	Inputs   []SummaryValue  `json:"inputs"`
	Outputs  []SummaryValue  `json:"outputs"`
	Tensors  []SummaryTensor `json:"tensors"`
	Metadata map[string]any  `json:"metadata"`
	// Signatures lists the model's named entry points, when it has any.
	Signatures []Signature `json:"signatures,omitempty"`
}

// SummaryValue is a graph input or output in a Summary. Shape is nil (JSON
// null) when the type has no shape.
type SummaryValue struct {
	Name  string `json:"name"`
	DType DType  `json:"dtype"`
	Shape Shape  `json:"shape"`
}

// SummaryTensor is a weight in a Summary.
type SummaryTensor struct {
	Name  string  `json:"name"`
	DType DType   `json:"dtype"`
	Shape []int64 `json:"shape"`
}

// Summarize computes the Summary of a model: nodes counts the main graph
// and every nested subgraph (and function bodies when
// m.FunctionsInNodeCount); ops is the op-type histogram of the main graph
// (with its nested subgraphs when m.OpsIncludeSubgraphs), keyed
// "domain::OpType" outside the default domain.
func Summarize(m *Model) Summary {
	s := Summary{
		Format:   m.Format,
		Producer: m.Producer,
		Ops:      map[string]int{},
		Inputs:   []SummaryValue{},
		Outputs:  []SummaryValue{},
		Tensors:  []SummaryTensor{},
		Metadata: map[string]any{},
	}
	for k, v := range m.Metadata {
		s.Metadata[k] = v
	}
	for k, v := range m.Facts {
		s.Metadata[k] = v
	}
	s.Signatures = m.Signatures
	g := m.Graph
	if g == nil {
		return s
	}
	s.Nodes = CountNodes(g)
	if m.FunctionsInNodeCount {
		for _, f := range m.Functions {
			s.Nodes += CountNodes(f)
		}
	}
	countOps(s.Ops, g, m.OpsIncludeSubgraphs)
	for _, v := range g.Inputs {
		s.Inputs = append(s.Inputs, summaryValue(v))
	}
	for _, v := range g.Outputs {
		s.Outputs = append(s.Outputs, summaryValue(v))
	}
	for _, t := range g.Initializers {
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		s.Tensors = append(s.Tensors, SummaryTensor{Name: t.Name, DType: t.DType, Shape: shape})
	}
	return s
}

// OpKey is the histogram key of a node: its op type, prefixed with
// "domain::" when the domain is not the default one.
func OpKey(n *Node) string {
	if n.Domain == "" || n.Domain == "ai.onnx" {
		return n.OpType
	}
	return n.Domain + "::" + n.OpType
}

// CountNodes counts the nodes of g and of every subgraph nested in its
// nodes' attributes, iteratively so hostile nesting cannot exhaust the stack.
func CountNodes(g *Graph) int {
	n := 0
	stack := []*Graph{g}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g == nil {
			continue
		}
		n += len(g.Nodes)
		for _, node := range g.Nodes {
			stack = append(stack, node.Subgraphs()...)
		}
	}
	return n
}

// countOps adds the op types of g's nodes (not weight containers) to
// ops, and those of every subgraph nested in them when deep, iteratively so hostile nesting
// cannot exhaust the stack.
func countOps(ops map[string]int, g *Graph, deep bool) {
	stack := []*Graph{g}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g == nil {
			continue
		}
		for _, n := range g.Nodes {
			if !n.Container {
				ops[OpKey(n)]++
			}
			if deep {
				stack = append(stack, n.Subgraphs()...)
			}
		}
	}
}

// summaryValue describes a graph input or output. Tensor and sparse tensor
// types give their dtype and shape; other types are spelled out in DType,
// as "sequence(float32)", "optional(sequence(int64))" or
// "map(string,float32)", with a null shape.
func summaryValue(v *Value) SummaryValue {
	sv := SummaryValue{Name: v.Name}
	if t := v.Type; t != nil {
		switch t.Kind {
		case KindTensor, KindSparseTensor, "":
			sv.DType, sv.Shape = t.DType, t.Shape
		default:
			sv.DType = DType(TypeString(t))
		}
	}
	return sv
}

// TypeString spells a type compactly: "float32" for a tensor,
// "sequence(float32)", "optional(sequence(int64))", "map(string,float32)";
// "?" marks an unknown part. Nesting is cut at depth 16.
func TypeString(t *Type) string {
	var b []byte
	var walk func(t *Type, depth int)
	walk = func(t *Type, depth int) {
		switch {
		case t == nil || depth > 16:
			b = append(b, '?')
			return
		case t.Kind == KindSequence || t.Kind == KindOptional:
			b = append(b, t.Kind...)
			b = append(b, '(')
			walk(t.Elem, depth+1)
			b = append(b, ')')
		case t.Kind == KindMap:
			b = append(b, "map("...)
			b = append(b, orUnknown(t.Key)...)
			b = append(b, ',')
			walk(t.Elem, depth+1)
			b = append(b, ')')
		case t.Kind == KindSparseTensor:
			b = append(b, "sparse_tensor("...)
			b = append(b, orUnknown(t.DType)...)
			b = append(b, ')')
		default:
			b = append(b, orUnknown(t.DType)...)
		}
	}
	walk(t, 0)
	return string(b)
}

func orUnknown(d DType) string {
	if d == "" {
		return "?"
	}
	return string(d)
}
