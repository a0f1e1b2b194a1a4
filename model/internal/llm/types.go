package llm

import (
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// typeValues gives the graph's activations their types, float32
// [n_tokens, features], where the features follow from the weights: an
// embedding's width, a projection's output side (whichever side of the
// weight does not match its input, so it holds for every storage order),
// the attention's heads × head dim. Values whose width is not known that
// way (expert routing, SSM splits, pooling) stay untyped. The types are
// marked Inferred: the file stores none.
func (b *builder) typeValues() {
	width := map[string]int64{}
	typed := map[string]bool{}
	for _, v := range b.g.Outputs {
		if v.Type != nil {
			typed[v.Name] = true
		}
	}
	for _, n := range b.g.Nodes {
		ws := b.widths(n, width)
		for i, o := range n.Outputs {
			if i >= len(ws) || ws[i] <= 0 {
				continue
			}
			width[o] = ws[i]
			if !typed[o] {
				b.g.ValueInfo = append(b.g.ValueInfo, &model.Value{Name: o, Inferred: true, Type: &model.Type{
					Kind: model.KindTensor, DType: "float32", Shape: model.Shape{{Param: "n_tokens"}, model.IntDim(ws[i])},
				}})
			}
		}
	}
}

// widths returns the feature width of each of n's outputs, 0 if unknown.
func (b *builder) widths(n *model.Node, width map[string]int64) []int64 {
	var in int64 // the first data input's width
	var w []int64
	for _, x := range n.Inputs {
		if t, ok := b.byName[x]; ok {
			if w == nil && len(t.Shape) == 2 {
				w = t.Shape
			}
		} else if in == 0 {
			in = width[x]
		}
	}
	switch n.OpType {
	case "get_rows":
		if w == nil {
			return nil
		}
		if b.hf {
			return []int64{w[1]}
		}
		return []int64{w[0]}
	case "matmul":
		return []int64{otherSide(w, in)}
	case "attention":
		if b.p.NHead > 0 && b.p.HeadDim > 0 {
			return []int64{b.p.NHead * b.p.HeadDim}
		}
		return []int64{in}
	case "swiglu":
		return []int64{in / 2}
	case "split":
		return b.splitWidths(n, in)
	case "rms_norm", "layer_norm", "rope", "scale", "silu", "gelu", "relu", "tanh", "sigmoid", "mul", "add":
		if in == 0 {
			for _, x := range n.Inputs {
				in = max(in, width[x])
			}
		}
		return []int64{in}
	}
	return nil
}

// otherSide is the side of a 2-D weight that is not the input width in: the
// projection's output width; 0 when neither side matches.
func otherSide(w []int64, in int64) int64 {
	switch {
	case w == nil || in <= 0:
		return 0
	case w[0] == in:
		return w[1]
	case w[1] == in:
		return w[0]
	}
	return 0
}

// splitWidths knows the fused Q/K/V split: queries of n_head heads, keys
// and values of n_head_kv heads, when they add up to the input.
func (b *builder) splitWidths(n *model.Node, in int64) []int64 {
	q, kv := b.p.NHead*b.p.HeadDim, b.p.NHeadKV*b.p.HeadDim
	if !strings.HasSuffix(n.Name, "qkv_split") || len(n.Outputs) != 3 || q <= 0 || q+2*kv != in {
		return nil
	}
	return []int64{q, kv, kv}
}
