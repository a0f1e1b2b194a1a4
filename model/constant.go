package model

// MaxInlineValues is the most elements a tensor may have for its values
// to be shown inline (on the node, in the sidebar's input list).
const MaxInlineValues = 6

// InlineValues returns every value of a tiny tensor: Values when set,
// otherwise read from its Location (a few bytes). It returns nil for
// larger tensors and for tensors whose values cannot be read.
func InlineValues(t *Tensor) []float64 {
	if t == nil {
		return nil
	}
	n, ok := NumElements(t.Shape)
	if !ok || n > MaxInlineValues {
		return nil
	}
	if int64(len(t.Values)) == n {
		return t.Values
	}
	p, err := ReadPreview(t, MaxInlineValues)
	if err != nil || int64(len(p.Values)) != n {
		return nil
	}
	return p.Values
}

// WithValues returns a copy of t carrying its inline values when it is
// tiny, or t itself.
func WithValues(t *Tensor) *Tensor {
	v := InlineValues(t)
	if v == nil || len(t.Values) == len(v) {
		return t
	}
	c := *t
	c.Values = v
	return &c
}

// ConstantTensor returns the tensor a Constant node produces: its value
// attribute, or a tensor made from value_float, value_int, value_floats or
// value_ints (values set, no Location). It returns nil for other nodes.
func ConstantTensor(n *Node) *Tensor {
	if n == nil || n.OpType != "Constant" || len(n.Outputs) != 1 {
		return nil
	}
	for _, a := range n.Attrs {
		switch {
		case a.Name == "value" && len(a.Tensors) == 1 && a.Tensors[0] != nil:
			return a.Tensors[0]
		case a.Name == "value_float":
			return &Tensor{Name: n.Outputs[0], DType: "float32", Shape: []int64{}, Values: []float64{a.Float}}
		case a.Name == "value_int":
			return &Tensor{Name: n.Outputs[0], DType: "int64", Shape: []int64{}, Values: []float64{float64(a.Int)}}
		case a.Name == "value_floats" && !a.Truncated:
			return listTensor(n.Outputs[0], "float32", a.Floats)
		case a.Name == "value_ints" && !a.Truncated:
			vs := make([]float64, len(a.Ints))
			for i, v := range a.Ints {
				vs[i] = float64(v)
			}
			return listTensor(n.Outputs[0], "int64", vs)
		}
	}
	return nil
}

// listTensor is a 1-D tensor of a Constant's list attribute, with its
// values kept only when it is tiny.
func listTensor(name string, dt DType, vs []float64) *Tensor {
	t := &Tensor{Name: name, DType: dt, Shape: []int64{int64(len(vs))}}
	if len(vs) <= MaxInlineValues {
		t.Values = vs
	}
	return t
}
