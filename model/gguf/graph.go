package gguf

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// group is the set of tensors that becomes one graph node: a numbered
// block ("blk.7", "enc.blk.2") or a top-level module ("token_embd").
type group struct {
	key     string
	prefix  string // block prefix ("blk"), "" for top-level modules
	index   int64  // block number
	rank    int    // position class: embeddings, blocks, others, norm, output
	first   int    // order of first appearance
	tensors []*model.Tensor
}

const (
	rankEmbedding = iota
	rankBlock
	rankOther
	rankNorm
	rankOutput
)

// groupKey returns the node a tensor belongs to: the name up to and
// including its first numeric segment ("blk.3.attn_q.weight" -> "blk.3"),
// or the name without its last segment ("output_norm.weight" ->
// "output_norm").
func groupKey(name string) (key, prefix string, index int64, isBlock bool) {
	segs := strings.Split(name, ".")
	for i := 1; i < len(segs)-1; i++ {
		if n, err := strconv.ParseInt(segs[i], 10, 64); err == nil && n >= 0 {
			return strings.Join(segs[:i+1], "."), strings.Join(segs[:i], "."), n, true
		}
	}
	if len(segs) > 1 {
		return strings.Join(segs[:len(segs)-1], "."), "", 0, false
	}
	return name, "", 0, false
}

func topRank(key string) int {
	base := key[strings.LastIndexByte(key, '.')+1:]
	switch {
	case strings.Contains(base, "norm") && (strings.HasPrefix(base, "output") || base == "norm" || strings.HasPrefix(base, "final")):
		return rankNorm
	case base == "output" || base == "lm_head" || strings.HasPrefix(base, "cls"):
		return rankOutput
	case strings.Contains(base, "embd") || strings.Contains(base, "embed") || base == "token_types":
		return rankEmbedding
	}
	return rankOther
}

// buildGraph lays the tensors out as a chain: embeddings, then one node per
// block in block order, then other modules, the output norm and the output
// head. GGUF records no dataflow; the chain follows the usual LLM order.
func buildGraph(tensors []*model.Tensor, nVocab int64) *model.Graph {
	byKey := map[string]*group{}
	var groups []*group
	for i, t := range tensors {
		key, prefix, idx, isBlock := groupKey(t.Name)
		g := byKey[key]
		if g == nil {
			g = &group{key: key, prefix: prefix, index: idx, first: i, rank: rankBlock}
			if !isBlock {
				g.rank = topRank(key)
			}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.tensors = append(g.tensors, t)
	}
	prefixOrder := map[string]int{}
	for _, g := range groups {
		if _, ok := prefixOrder[g.prefix]; !ok && g.rank == rankBlock {
			prefixOrder[g.prefix] = g.first
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		if a.rank == rankBlock {
			if c := cmp.Compare(prefixOrder[a.prefix], prefixOrder[b.prefix]); c != 0 {
				return c
			}
			return cmp.Compare(a.index, b.index)
		}
		return cmp.Compare(a.first, b.first)
	})

	used := make(map[string]bool, len(tensors)+len(groups)+2)
	for _, t := range tensors {
		used[t.Name] = true
	}
	gr := &model.Graph{
		Inputs:       []*model.Value{},
		Outputs:      []*model.Value{},
		Nodes:        make([]*model.Node, 0, len(groups)),
		Initializers: make([]*model.Tensor, 0, len(tensors)),
	}
	prev := ""
	if len(groups) > 0 && groups[0].rank == rankEmbedding {
		prev = unique("tokens", used)
		gr.Inputs = append(gr.Inputs, &model.Value{Name: prev, Type: &model.Type{
			Kind: model.KindTensor, DType: "int32", Shape: model.Shape{{Param: "n_tokens"}},
		}})
	}
	for i, g := range groups {
		n := newNode(g)
		if prev != "" {
			n.Inputs = append(n.Inputs, prev)
		}
		for _, t := range g.tensors {
			n.Inputs = append(n.Inputs, t.Name)
			gr.Initializers = append(gr.Initializers, t)
		}
		out := g.key
		if i == len(groups)-1 && g.rank == rankOutput {
			out = "logits"
		}
		prev = unique(out, used)
		n.Outputs = []string{prev}
		gr.Nodes = append(gr.Nodes, n)
	}
	if prev != "" && len(gr.Inputs) > 0 {
		v := &model.Value{Name: prev}
		if prev == "logits" {
			shape := model.Shape{{Param: "n_tokens"}, {Param: "n_vocab"}}
			if nVocab > 0 {
				shape[1] = model.IntDim(nVocab)
			}
			v.Type = &model.Type{Kind: model.KindTensor, DType: "float32", Shape: shape}
		}
		gr.Outputs = append(gr.Outputs, v)
	}
	return gr
}

func unique(name string, used map[string]bool) string {
	out := name
	for i := 1; used[out]; i++ {
		out = fmt.Sprintf("%s:%d", name, i)
	}
	used[out] = true
	return out
}

// newNode names the node after its group and picks an op type from what
// the group holds.
func newNode(g *group) *model.Node {
	n := &model.Node{Name: g.key}
	switch g.rank {
	case rankBlock:
		n.OpType, n.Category = blockOp(g), "layer"
	case rankEmbedding:
		n.OpType, n.Category = "Embedding", "layer"
		if strings.Contains(g.key, "norm") {
			n.OpType, n.Category = "Norm", "normalization"
		}
	case rankNorm:
		n.OpType, n.Category = "Norm", "normalization"
	case rankOutput:
		n.OpType, n.Category = "Output", "layer"
	default:
		n.OpType = g.key[strings.LastIndexByte(g.key, '.')+1:]
	}
	var params int64
	for _, t := range g.tensors {
		if ne, ok := model.NumElements(t.Shape); ok {
			params += ne
		}
		short := strings.TrimPrefix(t.Name, g.key+".")
		n.Attrs = append(n.Attrs, model.Attribute{
			Name: short, Type: model.AttrString,
			String: string(t.DType) + " " + shapeText(t.Shape),
		})
	}
	n.Attrs = append(n.Attrs, model.Attribute{Name: "parameters", Type: model.AttrInt, Int: params})
	return n
}

// blockOp names a block by what it contains: attention and feed-forward
// make a transformer block, expert tensors a mixture-of-experts block.
func blockOp(g *group) string {
	var attn, ffn, moe, ssm bool
	for _, t := range g.tensors {
		s := strings.TrimPrefix(t.Name, g.key+".")
		switch {
		case strings.Contains(s, "_exps") || strings.Contains(s, "gate_inp"):
			moe = true
		case strings.HasPrefix(s, "attn"):
			attn = true
		case strings.HasPrefix(s, "ffn"):
			ffn = true
		case strings.HasPrefix(s, "ssm"):
			ssm = true
		}
	}
	switch {
	case moe:
		return "MoEBlock"
	case ssm:
		return "SSMBlock"
	case attn && ffn:
		return "TransformerBlock"
	case attn:
		return "AttentionBlock"
	}
	return "Block"
}

func shapeText(s []int64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
