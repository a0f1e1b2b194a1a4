package llm

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/llm/llmfacts"
)

func tensorsOf(names ...string) []*model.Tensor {
	ts := make([]*model.Tensor, len(names))
	for i, n := range names {
		ts[i] = &model.Tensor{Name: n, DType: "float32", Shape: []int64{4, 4}}
	}
	return ts
}

// blocks repeats per-block tensor suffixes for n GGUF blocks.
func blocks(n int, roles ...string) []string {
	var out []string
	for i := range n {
		for _, r := range roles {
			out = append(out, fmt.Sprintf("blk.%d.%s", i, r))
		}
	}
	return out
}

// TestDeepSeek2MLA draws multi-head latent attention with a dense first
// layer and MoE layers with shared experts (no corpus file has one).
func TestDeepSeek2MLA(t *testing.T) {
	mla := []string{"attn_norm.weight", "attn_q_a.weight", "attn_q_a_norm.weight", "attn_q_b.weight",
		"attn_kv_a_mqa.weight", "attn_kv_a_norm.weight", "attn_kv_b.weight", "attn_output.weight", "ffn_norm.weight"}
	names := []string{"token_embd.weight", "output_norm.weight", "output.weight"}
	names = append(names, blocks(1, append(mla, "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight")...)...)
	moe := append(slices.Clone(mla), "ffn_gate_inp.weight", "ffn_gate_exps.weight", "ffn_up_exps.weight",
		"ffn_down_exps.weight", "ffn_gate_shexp.weight", "ffn_up_shexp.weight", "ffn_down_shexp.weight")
	for _, n := range blocks(3, moe...) {
		if n[4] != '0' {
			names = append(names, n)
		}
	}
	g := Build(Params{Arch: "deepseek2", NHead: 4}, tensorsOf(names...), GGUF{})
	if g == nil {
		t.Fatal("no graph")
	}
	for _, msg := range llmfacts.CheckDecoder(g, 3) {
		t.Error(msg)
	}
	ops := map[string]int{}
	for _, n := range g.Nodes {
		ops[n.OpType]++
	}
	if ops["matmul_experts"] != 6 || ops["concat"] != 6 || ops["weights"] != 0 {
		t.Errorf("ops %v: want 6 expert matmuls, 6 concats (q and k of each layer), no leftover", ops)
	}
}

// TestGenericDecoder draws an architecture llama.cpp names but this
// package has no rule for, from standard roles; unknown roles in a block
// make no graph.
func TestGenericDecoder(t *testing.T) {
	std := append([]string{"token_embd.weight", "output_norm.weight", "output.weight"},
		blocks(2, "attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
			"ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight")...)
	g := Build(Params{Arch: "some-new-arch", Tied: true}, tensorsOf(std...), GGUF{})
	if g == nil {
		t.Fatal("standard roles drew no graph")
	}
	for _, msg := range llmfacts.CheckDecoder(g, 2) {
		t.Error(msg)
	}
	odd := append([]string{"token_embd.weight"}, blocks(2, "mixer.in.weight", "mixer.out.weight")...)
	if g := Build(Params{Arch: "some-new-arch"}, tensorsOf(odd...), GGUF{}); g != nil {
		t.Errorf("blocks of unknown roles drew %d nodes", len(g.Nodes))
	}
}

// TestHFRoles maps Hugging Face names, per-expert tensors included.
func TestHFRoles(t *testing.T) {
	r := MapNames([]string{
		"model.embed_tokens.weight", "model.layers.0.mlp.experts.10.up_proj.weight",
		"model.layers.0.mlp.experts.2.up_proj.weight", "model.layers.0.self_attn.q_proj.bias",
		"model.layers.0.self_attn.q_proj.weight", "lm_head.weight", "model.layers.0.unknown.weight",
	}, HF{Arch: "qwen2moe"})
	b := r.Blocks[0]
	if !slices.Equal(b.Roles["ffn_up_exps"], []string{"model.layers.0.mlp.experts.2.up_proj.weight", "model.layers.0.mlp.experts.10.up_proj.weight"}) ||
		!slices.Equal(b.Roles["attn_q"], []string{"model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias"}) ||
		r.Global["token_embd"] == nil || r.Global["output"] == nil ||
		!slices.Equal(r.Extra, []string{"model.layers.0.unknown.weight"}) {
		t.Errorf("roles %+v", r)
	}
	for _, c := range []struct{ mt, arch string }{{"qwen2_moe", "qwen2moe"}, {"mistral", "llama"}, {"gpt_neox", "gptneox"}} {
		if got := ArchFromHF(c.mt, nil); got != c.arch {
			t.Errorf("model_type %s -> %q, want %s", c.mt, got, c.arch)
		}
	}
	if got := ArchFromHF("", []string{"Qwen2MoeForCausalLM"}); got != "qwen2moe" {
		t.Errorf("Qwen2MoeForCausalLM -> %q", got)
	}
}

// FuzzBuild draws graphs from arbitrary tensor names (one per line):
// never a panic, every tensor on some node.
func FuzzBuild(f *testing.F) {
	f.Add("token_embd.weight\nblk.0.attn_q.weight\nblk.0.ffn_up.weight\noutput.weight")
	f.Add("model.embed_tokens.weight\nmodel.layers.3.self_attn.qkv_proj.weight\nmodel.layers.3.mlp.experts.1.up_proj.weight")
	f.Add("token_embd.weight\nblk.0.ssm_in.weight\nblk.0.ssm_a\nblk.1.attn_kv_a_mqa.weight\nblk.1.ffn_gate_inp.weight")
	f.Fuzz(func(t *testing.T, s string) {
		seen := map[string]bool{}
		var names []string
		for _, n := range strings.Split(s, "\n") {
			if n != "" && !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		for _, m := range []Mapper{GGUF{}, HF{Arch: "gemma2"}} {
			g := Build(Params{Arch: "llama", Tied: true}, tensorsOf(names...), m)
			if g == nil {
				continue
			}
			used := map[string]bool{}
			for _, n := range g.Nodes {
				for _, in := range n.Inputs {
					used[in] = true
				}
			}
			for _, n := range names {
				if !used[n] {
					t.Fatalf("tensor %q on no node", n)
				}
			}
		}
	})
}

// TestT5 draws an encoder-decoder model: the encoder's layer-0 position
// bias used by every encoder layer (the decoder's likewise), and every
// decoder block's cross-attention reading the encoder's output.
func TestT5(t *testing.T) {
	names := []string{"token_embd.weight", "enc.output_norm.weight", "dec.output_norm.weight", "output.weight",
		"enc.blk.0.attn_rel_b.weight", "dec.blk.0.attn_rel_b.weight"}
	self := []string{"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_o.weight",
		"ffn_norm.weight", "ffn_up.weight", "ffn_down.weight"}
	for i := range 3 {
		for _, r := range self {
			names = append(names, fmt.Sprintf("enc.blk.%d.%s", i, r), fmt.Sprintf("dec.blk.%d.%s", i, r))
		}
		for _, r := range []string{"cross_attn_norm", "cross_attn_q", "cross_attn_k", "cross_attn_v", "cross_attn_o"} {
			names = append(names, fmt.Sprintf("dec.blk.%d.%s.weight", i, r))
		}
	}
	g := Build(Params{Arch: "t5"}, tensorsOf(names...), GGUF{})
	if g == nil {
		t.Fatal("no graph")
	}
	uses := map[string]int{}
	var encOut string
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			uses[in]++
		}
		if n.Name == "enc.output_norm" {
			encOut = n.Outputs[0]
		}
	}
	for _, n := range names {
		want := 1
		switch n {
		case "enc.blk.0.attn_rel_b.weight", "dec.blk.0.attn_rel_b.weight":
			want = 3
		case "token_embd.weight":
			want = 2 // encoder and decoder tokens
		}
		if uses[n] != want {
			t.Errorf("%s used %d times, want %d", n, uses[n], want)
		}
	}
	if encOut == "" || uses[encOut] != 6 {
		t.Errorf("encoder output %q read %d times, want 6 (K and V of 3 cross-attentions)", encOut, uses[encOut])
	}
	if last := g.Nodes[len(g.Nodes)-1]; !slices.Contains(last.Inputs, "output.weight") || len(g.Inputs) != 2 {
		t.Errorf("last node %s, inputs %d", last.Name, len(g.Inputs))
	}
}

// TestParallelResidual draws GPT-NeoX with its parallel residual, and
// sequentially when the file turns it off.
func TestParallelResidual(t *testing.T) {
	names := append([]string{"token_embd.weight", "output.weight"}, blocks(1, "attn_norm.weight", "attn_qkv.weight",
		"attn_output.weight", "ffn_norm.weight", "ffn_up.weight", "ffn_down.weight")...)
	for _, seq := range []bool{false, true} {
		g := Build(Params{Arch: "gptneox", Sequential: seq}, tensorsOf(names...), GGUF{})
		var normIn []string
		for _, n := range g.Nodes {
			if n.Name == "blk.0.ffn_norm" {
				normIn = n.Inputs
			}
		}
		// Parallel: the FFN norm reads the block input (the embedding);
		// sequential: the attention's residual sum.
		want := "token_embd"
		if seq {
			want = "blk.0.attn_residual"
		}
		if len(normIn) == 0 || normIn[0] != want {
			t.Errorf("sequential=%v: ffn_norm inputs %v, want %s first", seq, normIn, want)
		}
	}
}
