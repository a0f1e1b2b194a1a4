package llm

import (
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// typeValues gives the graph's activations their types, float32
// [n_tokens, features], where the features follow from the weights: an
// embedding's width, a projection's output side (whichever side of the
// weight does not match its input, so it holds for every storage order),
// the attention's heads × head dim. The experts' products are
// [n_tokens, k, features] for the k experts used, top-k's choice int32
// [n_tokens, k], a pooled output [1, features]. Values whose width is not
// known that way stay untyped. The types are marked Inferred: the file
// stores none.
func (b *builder) typeValues() {
	width := map[string]int64{}
	lead := map[string]model.Shape{}
	typed := map[string]bool{}
	for _, v := range b.g.Outputs {
		if v.Type != nil {
			typed[v.Name] = true
		}
	}
	for _, n := range b.g.Nodes {
		ws := b.widths(n, width)
		ld := b.leading(n, lead)
		if ld == nil {
			continue
		}
		dt := model.DType("float32")
		if n.OpType == "top_k" {
			dt = "int32"
		}
		for i, o := range n.Outputs {
			if i >= len(ws) || ws[i] <= 0 {
				continue
			}
			width[o], lead[o] = ws[i], ld
			if !typed[o] {
				b.g.ValueInfo = append(b.g.ValueInfo, &model.Value{Name: o, Inferred: true, Type: &model.Type{
					Kind: model.KindTensor, DType: dt, Shape: append(slices.Clone(ld), model.IntDim(ws[i])),
				}})
			}
		}
	}
}

// tokens is the leading dimension of a per-token activation.
var tokens = model.Shape{{Param: "n_tokens"}}

// leading returns the dims before the feature width of n's outputs: one
// row for a pooled or sliced output, the k experts used of a mixture's
// products, else those of its first data input (per token); nil when
// not known.
func (b *builder) leading(n *model.Node, lead map[string]model.Shape) model.Shape {
	switch n.OpType {
	case "pooling", "slice":
		return model.Shape{model.IntDim(1)}
	case "matmul_experts":
		if b.p.NExpertUsed <= 0 {
			return nil
		}
		return model.Shape{tokens[0], model.IntDim(b.p.NExpertUsed)}
	case "weighted_sum_experts", "top_k":
		return tokens
	}
	for _, x := range n.Inputs {
		if _, ok := b.byName[x]; !ok {
			if l := lead[x]; l != nil {
				return l
			}
			break
		}
	}
	return tokens
}

// widths returns the feature width of each of n's outputs, 0 if unknown.
func (b *builder) widths(n *model.Node, width map[string]int64) []int64 {
	if f := b.fixed[n.Name]; f != nil {
		var ins []int64
		for _, x := range n.Inputs {
			if _, ok := b.byName[x]; !ok {
				ins = append(ins, width[x])
			}
		}
		return f(ins)
	}
	in, w, vec := b.operands(n, width)
	switch n.OpType {
	case "get_rows":
		if w == nil {
			return nil
		}
		if b.hf {
			return []int64{w[1]}
		}
		return []int64{w[0]}
	case "matmul", "matmul_experts":
		if w == nil && in > 0 && vec == in {
			// a vector weight (the shared experts' gate): one output.
			return []int64{1}
		}
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
	case "top_k":
		return []int64{b.p.NExpertUsed}
	case "rms_norm", "layer_norm", "rope", "scale", "silu", "gelu", "relu", "tanh", "sigmoid", "mul", "add",
		"softmax", "ssm_conv", "ssm_scan", "weighted_sum_experts", "pooling", "slice":
		if in == 0 {
			for _, x := range n.Inputs {
				in = max(in, width[x])
			}
		}
		return []int64{in}
	}
	return nil
}

// operands returns n's first data input's width, its first weight of two
// dims (an experts' weight without its expert dim) and the length of its
// first vector weight.
func (b *builder) operands(n *model.Node, width map[string]int64) (in int64, w []int64, vec int64) {
	for _, x := range n.Inputs {
		t, ok := b.byName[x]
		switch {
		case !ok:
			if in == 0 {
				in = width[x]
			}
		case w == nil && len(t.Shape) == 2:
			w = t.Shape
		case w == nil && len(t.Shape) == 3 && n.OpType == "matmul_experts":
			w = b.perExpert(t.Shape)
		case vec == 0 && len(t.Shape) == 1:
			vec = t.Shape[0]
		}
	}
	return in, w, vec
}

// perExpert drops the expert dim of a stacked experts' weight: the last
// in GGUF's ne order, the first in a Hugging Face layout.
func (b *builder) perExpert(s []int64) []int64 {
	if b.hf {
		return s[1:]
	}
	return s[:2]
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

// splitWidths knows the fused Q/K/V split (queries of n_head heads, keys
// and values of n_head_kv heads, when they add up to the input), the
// SSM's halves (x and z) and its dt, B, C split (widths from the block's
// weights).
func (b *builder) splitWidths(n *model.Node, in int64) []int64 {
	switch {
	case strings.HasSuffix(n.Name, "qkv_split"):
		q, kv := b.p.NHead*b.p.HeadDim, b.p.NHeadKV*b.p.HeadDim
		if len(n.Outputs) != 3 || q <= 0 || q+2*kv != in {
			return nil
		}
		return []int64{q, kv, kv}
	case strings.HasSuffix(n.Name, "ssm_in_split"):
		if len(n.Outputs) != 2 || in <= 0 || in%2 != 0 {
			return nil
		}
		return []int64{in / 2, in / 2}
	}
	return nil
}

// ssmSplit records the widths of the SSM's dt, B, C split n: dt_rank
// (the smaller side of ssm_dt's weight; d_inner the larger) and d_state
// twice, the rest of ssm_x's output.
func (k *blk) ssmSplit(n *model.Node) {
	dt, x := k.shape2("ssm_dt"), k.shape2("ssm_x")
	if dt == nil || x == nil {
		return
	}
	rank, inner := min(dt[0], dt[1]), max(dt[0], dt[1])
	out := otherSide(x, inner)
	if rank <= 0 || out <= rank || (out-rank)%2 != 0 {
		return
	}
	st := (out - rank) / 2
	k.fixed[n.Name] = func([]int64) []int64 { return []int64{rank, st, st} }
}

// widthRule gives a node's output widths from its data inputs' widths.
type widthRule func(ins []int64) []int64

// fix sets the widths of the block's last node.
func (k *blk) fix(f widthRule) { k.fixed[k.g.Nodes[len(k.g.Nodes)-1].Name] = f }

// splitAt is a split of the first input into first and the rest; nil
// when first is not inside it.
func splitAt(first int64) widthRule {
	return func(ins []int64) []int64 {
		if len(ins) == 0 || first <= 0 || first >= ins[0] {
			return nil
		}
		return []int64{first, ins[0] - first}
	}
}

// widthOf is a rule of one known width.
func widthOf(w int64) widthRule {
	return func([]int64) []int64 { return []int64{w} }
}

// mlaWidths types multi-head latent attention: the queries split into
// n_head × (head_dim - rope) and n_head × rope, the latent into rank and
// rope, the expanded keys and values into n_head × (head_dim - rope) and
// n_head × v_head_dim; the concatenated queries and keys (the rotated key
// part repeated for every head) n_head × head_dim; the attention's
// output as wide as its values.
func (k *blk) mlaWidths(rank, rope int64) map[string]widthRule {
	h, nope := k.p.NHead, k.p.HeadDim-rope
	if h <= 0 || rank <= 0 || rope <= 0 || nope <= 0 {
		return nil
	}
	return map[string]widthRule{
		"q_split": func(ins []int64) []int64 {
			if len(ins) == 0 {
				return nil
			}
			return splitAt(ins[0] - h*rope)(ins)
		},
		"kv_split":   splitAt(rank),
		"kv_b_split": splitAt(h * nope),
		"q_concat":   widthOf(h * k.p.HeadDim),
		"k_concat":   widthOf(h * k.p.HeadDim),
		"attention": func(ins []int64) []int64 {
			if len(ins) < 3 {
				return nil
			}
			return ins[2:3]
		},
	}
}

// shape2 is the shape of the role's first tensor of two dims, nil if none.
func (k *blk) shape2(role string) []int64 {
	for _, t := range k.Roles[role] {
		if s := k.byName[t].Shape; len(s) == 2 {
			return s
		}
	}
	return nil
}
