package llm

import "strings"

// HF maps Hugging Face transformers names onto llama.cpp's roles, as
// convert_hf_to_gguf.py does, for the architecture Arch.
type HF struct{ Arch string }

// hfBlock maps a name inside a layer to a role.
var hfBlock = map[string]string{
	"input_layernorm":              "attn_norm",
	"self_attn.q_proj":             "attn_q",
	"self_attn.k_proj":             "attn_k",
	"self_attn.v_proj":             "attn_v",
	"self_attn.o_proj":             "attn_output",
	"self_attn.qkv_proj":           "attn_qkv",
	"self_attn.q_norm":             "attn_q_norm",
	"self_attn.k_norm":             "attn_k_norm",
	"self_attn.q_a_proj":           "attn_q_a",
	"self_attn.q_a_layernorm":      "attn_q_a_norm",
	"self_attn.q_b_proj":           "attn_q_b",
	"self_attn.kv_a_proj_with_mqa": "attn_kv_a_mqa",
	"self_attn.kv_a_layernorm":     "attn_kv_a_norm",
	"self_attn.kv_b_proj":          "attn_kv_b",
	"post_attention_layernorm":     "ffn_norm",
	"pre_feedforward_layernorm":    "ffn_norm",
	"post_feedforward_layernorm":   "post_ffw_norm",
	"mlp.gate_proj":                "ffn_gate",
	"mlp.up_proj":                  "ffn_up",
	"mlp.down_proj":                "ffn_down",
	"mlp.gate_up_proj":             "ffn_up",
	"mlp.gate":                     "ffn_gate_inp",
	"block_sparse_moe.gate":        "ffn_gate_inp",
	"mlp.experts.gate_proj":        "ffn_gate_exps",
	"mlp.experts.up_proj":          "ffn_up_exps",
	"mlp.experts.down_proj":        "ffn_down_exps",
	"block_sparse_moe.experts.w1":  "ffn_gate_exps",
	"block_sparse_moe.experts.w3":  "ffn_up_exps",
	"block_sparse_moe.experts.w2":  "ffn_down_exps",
	"mlp.shared_expert.gate_proj":  "ffn_gate_shexp",
	"mlp.shared_expert.up_proj":    "ffn_up_shexp",
	"mlp.shared_expert.down_proj":  "ffn_down_shexp",
	"mlp.shared_experts.gate_proj": "ffn_gate_shexp",
	"mlp.shared_experts.up_proj":   "ffn_up_shexp",
	"mlp.shared_experts.down_proj": "ffn_down_shexp",
	"mlp.shared_expert_gate":       "ffn_gate_inp_shexp",
	// GPT-2
	"ln_1":        "attn_norm",
	"attn.c_attn": "attn_qkv",
	"attn.c_proj": "attn_output",
	"ln_2":        "ffn_norm",
	"mlp.c_fc":    "ffn_up",
	"mlp.c_proj":  "ffn_down",
	// Falcon, GPT-NeoX
	"self_attention.query_key_value": "attn_qkv",
	"self_attention.dense":           "attn_output",
	"attention.query_key_value":      "attn_qkv",
	"attention.dense":                "attn_output",
	"mlp.dense_h_to_4h":              "ffn_up",
	"mlp.dense_4h_to_h":              "ffn_down",
	"ln_attn":                        "attn_norm",
	"ln_mlp":                         "attn_norm_2",
	// BERT
	"attention.self.query":       "attn_q",
	"attention.self.key":         "attn_k",
	"attention.self.value":       "attn_v",
	"attention.output.dense":     "attn_output",
	"attention.output.LayerNorm": "attn_output_norm",
	"intermediate.dense":         "ffn_up",
	"output.dense":               "ffn_down",
	"output.LayerNorm":           "layer_output_norm",
	// Mamba
	"norm":           "attn_norm",
	"mixer.in_proj":  "ssm_in",
	"mixer.conv1d":   "ssm_conv1d",
	"mixer.x_proj":   "ssm_x",
	"mixer.dt_proj":  "ssm_dt",
	"mixer.A_log":    "ssm_a",
	"mixer.D":        "ssm_d",
	"mixer.out_proj": "ssm_out",
}

// hfGlobal maps a module outside the layers, matched as the whole name or
// its ending after a dot.
var hfGlobal = []struct{ suffix, role string }{
	{"encoder.final_layer_norm", "enc.output_norm"},
	{"decoder.final_layer_norm", "dec.output_norm"},
	{"shared", "token_embd"},
	{"embed_tokens", "token_embd"},
	{"wte", "token_embd"},
	{"word_embeddings", "token_embd"},
	{"embed_in", "token_embd"},
	{"backbone.embeddings", "token_embd"},
	{"wpe", "position_embd"},
	{"position_embeddings", "position_embd"},
	{"token_type_embeddings", "token_types"},
	{"embeddings.LayerNorm", "token_embd_norm"},
	{"word_embeddings_layernorm", "token_embd_norm"},
	{"model.norm", "output_norm"},
	{"ln_f", "output_norm"},
	{"norm_f", "output_norm"},
	{"final_layer_norm", "output_norm"},
	{"lm_head", "output"},
	{"embed_out", "output"},
	{"pooler.dense", "pooler"},
}

// hfT5 maps T5's layer names: the decoder's layer.1 is cross-attention,
// its FFN layer.2.
var hfT5 = map[string]string{
	"layer.0.layer_norm":                            "attn_norm",
	"layer.0.SelfAttention.q":                       "attn_q",
	"layer.0.SelfAttention.k":                       "attn_k",
	"layer.0.SelfAttention.v":                       "attn_v",
	"layer.0.SelfAttention.o":                       "attn_output",
	"layer.0.SelfAttention.relative_attention_bias": "attn_rel_b",
	"layer.1.EncDecAttention.q":                     "cross_attn_q",
	"layer.1.EncDecAttention.k":                     "cross_attn_k",
	"layer.1.EncDecAttention.v":                     "cross_attn_v",
	"layer.1.EncDecAttention.o":                     "cross_attn_o",
}

var t5FFN = map[string]string{
	"layer_norm": "ffn_norm", "DenseReluDense.wi": "ffn_up", "DenseReluDense.wi_0": "ffn_gate",
	"DenseReluDense.wi_1": "ffn_up", "DenseReluDense.wo": "ffn_down",
}

// t5Role maps a T5 layer name, the FFN sub-layer being layer.1 in the
// encoder and layer.2 in the decoder.
func t5Role(stack, rest string) string {
	if r, ok := hfT5[rest]; ok {
		return r
	}
	ffn := "layer.1."
	if strings.HasPrefix(stack, "decoder") {
		if rest == "layer.1.layer_norm" {
			return "cross_attn_norm"
		}
		ffn = "layer.2."
	}
	if tail, ok := strings.CutPrefix(rest, ffn); ok {
		return t5FFN[tail]
	}
	return ""
}

// BlockRole implements Mapper.
func (h HF) BlockRole(stack, rest string) string {
	if h.Arch == "t5" {
		return t5Role(stack, rest)
	}
	rest = dropExpertNumber(rest)
	if h.Arch == "gemma2" || h.Arch == "gemma3" {
		switch rest {
		case "post_attention_layernorm":
			return "post_attention_norm"
		}
	}
	return hfBlock[rest]
}

// GlobalRole implements Mapper.
func (HF) GlobalRole(module string) string {
	for _, g := range hfGlobal {
		if module == g.suffix || strings.HasSuffix(module, "."+g.suffix) {
			return g.role
		}
	}
	return ""
}

// dropExpertNumber turns "mlp.experts.7.up_proj" into "mlp.experts.up_proj".
func dropExpertNumber(rest string) string {
	i := strings.Index(rest, "experts.")
	if i < 0 {
		return rest
	}
	tail := rest[i+len("experts."):]
	j := strings.IndexByte(tail, '.')
	if j <= 0 {
		return rest
	}
	for _, c := range tail[:j] {
		if c < '0' || c > '9' {
			return rest
		}
	}
	return rest[:i+len("experts.")] + tail[j+1:]
}

// ArchFromHF maps a config.json model_type (or, failing that, the first
// architectures entry) to a llama.cpp architecture name, "" if unknown.
func ArchFromHF(modelType string, architectures []string) string {
	if a, ok := hfArch[strings.ToLower(modelType)]; ok {
		return a
	}
	best, arch := 0, ""
	for _, c := range architectures {
		c = strings.ToLower(c)
		for k, a := range hfArch {
			k = strings.ReplaceAll(k, "_", "")
			if strings.HasPrefix(c, k) && len(k) > best {
				best, arch = len(k), a
			}
		}
		if arch != "" {
			return arch
		}
	}
	return ""
}

var hfArch = map[string]string{
	"llama": "llama", "mistral": "llama", "mixtral": "llama",
	"qwen2": "qwen2", "qwen2_moe": "qwen2moe", "qwen3": "qwen3", "qwen3_moe": "qwen3moe",
	"gemma": "gemma", "gemma2": "gemma2", "gemma3": "gemma3", "gemma3_text": "gemma3",
	"phi3": "phi3", "gpt2": "gpt2", "falcon": "falcon", "gpt_neox": "gptneox",
	"bert": "bert", "mamba": "mamba", "deepseek_v2": "deepseek2", "deepseek_v3": "deepseek2",
	"t5": "t5",
}
