package llm

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHFCacheParams reads the KV cache's facts from a config.json: the
// context length, torch_dtype (float32 without one), and DeepSeek's MLA
// sizes (a key head of its plain and rotated parts, the latent's rank).
func TestHFCacheParams(t *testing.T) {
	for _, c := range []struct {
		json string
		want Params
	}{
		{`{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "max_position_embeddings": 4096, "torch_dtype": "bfloat16"}`,
			Params{NCtxTrain: 4096, KVDType: "bfloat16", HeadDim: 16}},
		{`{"model_type": "gpt2", "n_embd": 64, "n_head": 4, "n_positions": 1024}`,
			Params{NCtxTrain: 1024, KVDType: "float32", HeadDim: 16}},
		{`{"model_type": "deepseek_v2", "hidden_size": 64, "num_attention_heads": 4, "kv_lora_rank": 32, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "torch_dtype": "float16"}`,
			Params{KVLoraRank: 32, HeadDim: 24, RopeDims: 8, KVDType: "float16"}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte(c.json), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := ReadHFConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		p := cfg.Params()
		w := c.want
		if p.NCtxTrain != w.NCtxTrain || p.KVDType != w.KVDType || p.KVLoraRank != w.KVLoraRank || p.HeadDim != w.HeadDim || p.RopeDims != w.RopeDims {
			t.Errorf("%s: %+v, want %+v", c.json, p, w)
		}
	}
}
