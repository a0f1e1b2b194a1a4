package llm

import (
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm/llmfacts"
)

// attrOf returns node n's integer attribute name, or -1.
func attrOf(n *model.Node, name string) int64 {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Int
		}
	}
	return -1
}

// nodesOf returns the graph's nodes of op, in order.
func nodesOf(g *model.Graph, op string) []*model.Node {
	var out []*model.Node
	for _, n := range g.Nodes {
		if n.OpType == op {
			out = append(out, n)
		}
	}
	return out
}

// TestGemma3 draws gemma3 (no corpus file has one): Q/K norms, post-norms
// around attention and FFN, GELU, a tied output, and a sliding window on
// five layers of every six.
func TestGemma3(t *testing.T) {
	names := append([]string{"token_embd.weight", "output_norm.weight"},
		blocks(7, "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_q_norm.weight",
			"attn_k_norm.weight", "attn_output.weight", "post_attention_norm.weight", "ffn_norm.weight",
			"ffn_gate.weight", "ffn_up.weight", "ffn_down.weight", "post_ffw_norm.weight")...)
	p := Params{Arch: "gemma3", NHead: 4, NHeadKV: 1, HeadDim: 8, SlidingWindow: 512, Tied: true}
	g := Build(p, tensorsOf(names...), GGUF{})
	if g == nil {
		t.Fatal("no graph")
	}
	for _, msg := range llmfacts.CheckDecoder(g, 7) {
		if msg != "tensor token_embd.weight consumed by 2 nodes, want 1" { // tied: the lookup and the output
			t.Error(msg)
		}
	}
	var windows []int64
	for _, n := range nodesOf(g, "attention") {
		windows = append(windows, attrOf(n, "sliding_window"))
	}
	if want := []int64{512, 512, 512, 512, 512, -1, 512}; !slices.Equal(windows, want) {
		t.Errorf("sliding windows per layer %v, want %v", windows, want)
	}
	if n := len(nodesOf(g, "gelu")); n != 7 {
		t.Errorf("%d GELUs, want one per layer", n)
	}
	if n := len(nodesOf(g, "rms_norm")); n != 7*6+1 {
		t.Errorf("%d RMS norms, want 6 per layer (attn, q, k, post-attn, ffn, post-ffn) and the output norm", n)
	}
	out := g.Nodes[len(g.Nodes)-1]
	if out.OpType != "matmul" || !slices.Contains(out.Inputs, "token_embd.weight") {
		t.Errorf("last node %s %v: want the tied output projection", out.OpType, out.Inputs)
	}
}

// TestMixtral draws a llama-architecture file with experts (Mixtral):
// router, softmax, top-k with k and the expert count, three expert
// matmuls and their weighted sum in every layer.
func TestMixtral(t *testing.T) {
	names := append([]string{"token_embd.weight", "output_norm.weight", "output.weight"},
		blocks(2, "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
			"ffn_norm.weight", "ffn_gate_inp.weight", "ffn_gate_exps.weight", "ffn_up_exps.weight", "ffn_down_exps.weight")...)
	g := Build(Params{Arch: "llama", NHead: 4, NHeadKV: 1, NExpert: 8, NExpertUsed: 2}, tensorsOf(names...), GGUF{})
	if g == nil {
		t.Fatal("no graph")
	}
	for _, msg := range llmfacts.CheckDecoder(g, 2) {
		t.Error(msg)
	}
	tops := nodesOf(g, "top_k")
	if len(tops) != 2 || attrOf(tops[0], "k") != 2 || attrOf(tops[0], "n_expert") != 8 {
		t.Fatalf("top_k nodes %v", tops)
	}
	if n, s := len(nodesOf(g, "matmul_experts")), len(nodesOf(g, "weighted_sum_experts")); n != 6 || s != 2 {
		t.Errorf("%d expert matmuls and %d weighted sums, want 6 and 2", n, s)
	}
	if n := len(nodesOf(g, "softmax")); n != 2 {
		t.Errorf("%d router softmaxes, want 2", n)
	}
}
