package cost_test

import (
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/internal/testenv"
)

// kvFacts is what the KV cache is derived from: facts.llm and, for GGUF,
// the metadata (facts.kv) holding the context length.
type kvFacts struct {
	LLM *llmFacts `json:"llm"`
	KV  map[string]struct {
		Value any `json:"value"`
	} `json:"kv"`
}

// TestLLMKVCache checks every LLM architecture file of the manifests:
// the KV cache per token is Σ over the causal attention layers of the
// facts of 2 × n_head_kv × head_dim (MLA: kv_lora_rank + rope_dims)
// elements of the cache type (llama.cpp's default f16 for GGUF, the
// config's torch_dtype for Hugging Face layouts, float32 without one);
// for a context of N tokens (the file's context length, or n_ctx given)
// each layer holds min(N, its sliding window) tokens. Encoders and SSM
// layers hold none.
func TestLLMKVCache(t *testing.T) {
	checked := 0
	for _, e := range testenv.Manifests(t) {
		var fs kvFacts
		if json.Unmarshal(e.Facts, &fs) != nil || fs.LLM == nil || fs.LLM.Architecture == nil || !e.Valid() {
			continue
		}
		m := open(t, e.Abs())
		elemBytes, nCtx := kvFileFacts(t, e, fs)
		for _, opt := range []cost.Options{{}, {Dims: map[string]int64{"n_ctx": 40}}} {
			n := nCtx
			if v, ok := opt.Dims["n_ctx"]; ok {
				n = v
			}
			perToken, ctxBytes, layers := expectKV(*fs.LLM, elemBytes, n)
			r := cost.Model(context.Background(), m, opt)
			kv := r.LLM.KVCache
			t.Logf("%s: %d layers, %d B/token, %d tokens: %d B", e.Name(), kv.KVLayers, kv.KVBytesPerToken, kv.KVContextTokens, kv.KVBytesContext)
			if kv.KVLayers != layers || kv.KVBytesPerToken != perToken || kv.KVBytesContext != ctxBytes || (layers > 0 && kv.KVContextTokens != n) {
				t.Errorf("%s %v: got %+v, want %d layers, %d B/token, %d B for %d tokens", e.Name(), opt.Dims, kv, layers, perToken, ctxBytes, n)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no LLM architecture file in the manifests")
	}
}

// expectKV sums the facts' causal attention steps.
func expectKV(f llmFacts, elemBytes, n int64) (perToken, ctx int64, layers int) {
	for _, s := range f.Stacks {
		for _, b := range s.Blocks {
			for _, st := range b {
				a := st.Attention
				if st.Op != "attention" || (a.Causal != nil && !*a.Causal) {
					continue
				}
				per := 2 * a.NHeadKV * a.HeadDim * elemBytes
				if a.KVLoraRank > 0 {
					per = (a.KVLoraRank + a.RopeDims) * elemBytes
				}
				held := n
				if a.Window != nil && *a.Window < n {
					held = *a.Window
				}
				perToken += per
				ctx += per * held
				layers++
			}
		}
	}
	return perToken, ctx, layers
}

// kvFileFacts returns the cache's element size and the context length:
// GGUF's {arch}.context_length with f16, or config.json's
// max_position_embeddings (n_positions) with its torch_dtype.
func kvFileFacts(t *testing.T, e testenv.Entry, fs kvFacts) (elemBytes, nCtx int64) {
	t.Helper()
	if e.Format == "gguf" {
		arch, _ := fs.KV["general.architecture"].Value.(string)
		n, _ := fs.KV[arch+".context_length"].Value.(float64)
		return 2, int64(n)
	}
	var cfg struct {
		MaxPos int64  `json:"max_position_embeddings"`
		NPos   int64  `json:"n_positions"`
		DType  string `json:"torch_dtype"`
	}
	for _, f := range e.Files {
		if path.Base(f) != "config.json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(e.Root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	elemBytes = 4
	if cfg.DType == "float16" || cfg.DType == "bfloat16" {
		elemBytes = 2
	}
	return elemBytes, max(cfg.MaxPos, cfg.NPos)
}
