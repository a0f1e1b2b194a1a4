package gguf

import (
	"context"
	"fmt"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
)

// deepseek2Spec is a tiny DeepSeek-V2 file (no corpus file has multi-head
// latent attention): 2 blocks, n_embd 32, 4 heads, q_lora_rank 16,
// kv_lora_rank 16, rotated dims 8 of a key head of 16, values of 8.
// Without the kv_lora_rank key the rank is the latent norm's length.
func deepseek2Spec(withRank bool) spec {
	const nEmbd, nVocab, nHead, qRank, kvRank, rope, nope, vHead, nFF = 32, 64, 4, 16, 16, 8, 8, 8, 64
	s := spec{kvs: []wkv{
		{"general.architecture", TypeString, "deepseek2"},
		{"deepseek2.block_count", TypeUint32, uint32(2)},
		{"deepseek2.context_length", TypeUint32, uint32(256)},
		{"deepseek2.embedding_length", TypeUint32, uint32(nEmbd)},
		{"deepseek2.attention.head_count", TypeUint32, uint32(nHead)},
		{"deepseek2.attention.head_count_kv", TypeUint32, uint32(nHead)},
		{"deepseek2.attention.key_length", TypeUint32, uint32(nope + rope)},
		{"deepseek2.attention.value_length", TypeUint32, uint32(vHead)},
		{"deepseek2.attention.q_lora_rank", TypeUint32, uint32(qRank)},
		{"deepseek2.rope.dimension_count", TypeUint32, uint32(rope)},
	}}
	if withRank {
		s.kvs = append(s.kvs, wkv{"deepseek2.attention.kv_lora_rank", TypeUint32, uint32(kvRank)})
	}
	add := func(name string, dims ...uint64) {
		s.tensors = append(s.tensors, wtensor{name, dims, 0, tensorBytes(dims, 1, 4)})
	}
	add("token_embd.weight", nEmbd, nVocab)
	for i := range 2 {
		p := fmt.Sprintf("blk.%d.", i)
		add(p+"attn_norm.weight", nEmbd)
		add(p+"attn_q_a.weight", nEmbd, qRank)
		add(p+"attn_q_a_norm.weight", qRank)
		add(p+"attn_q_b.weight", qRank, nHead*(nope+rope))
		add(p+"attn_kv_a_mqa.weight", nEmbd, kvRank+rope)
		add(p+"attn_kv_a_norm.weight", kvRank)
		add(p+"attn_kv_b.weight", kvRank, nHead*(nope+vHead))
		add(p+"attn_output.weight", nHead*vHead, nEmbd)
		add(p+"ffn_norm.weight", nEmbd)
		add(p+"ffn_gate.weight", nEmbd, nFF)
		add(p+"ffn_up.weight", nEmbd, nFF)
		add(p+"ffn_down.weight", nFF, nEmbd)
	}
	add("output_norm.weight", nEmbd)
	add("output.weight", nEmbd, nVocab)
	return s
}

// TestMLACache checks the KV cache of multi-head latent attention: per
// layer and token the compressed latent and the rotated key part, (16 +
// 8) f16 elements, not keys and values of every head (2 × 4 × 16); and
// every node counted (MLA's splits and concats typed).
func TestMLACache(t *testing.T) {
	const perToken = 2 * (16 + 8) * 2 // layers × elements × f16
	for _, withRank := range []bool{true, false} {
		m, err := Open(context.Background(), writeTemp(t, "ds.gguf", deepseek2Spec(withRank).bytes(t)))
		if err != nil {
			t.Fatal(err)
		}
		r := cost.Model(context.Background(), m, cost.Options{})
		if r == nil || r.LLM == nil {
			t.Fatalf("kv_lora_rank stored %v: no LLM cost", withRank)
		}
		if r.UnknownNodes != 0 || r.UnsizedNodes != 0 {
			t.Errorf("kv_lora_rank stored %v: %d nodes unknown, %d unsized", withRank, r.UnknownNodes, r.UnsizedNodes)
		}
		kv := r.LLM.KVCache
		if kv.KVLayers != 2 || kv.KVBytesPerToken != perToken || kv.KVContextTokens != 256 || kv.KVBytesContext != 256*perToken || kv.KVDType != "float16" {
			t.Errorf("kv_lora_rank stored %v: %+v, want 2 layers of %d B/token, 256 tokens", withRank, kv, perToken/2)
		}
	}
}
