// Package llm builds the computation graph of a transformer-style language
// model from its architecture name, its hyper-parameters and the tensors it
// stores: per block the operations llama.cpp performs (norms, Q/K/V, RoPE,
// attention, residual adds, gated or plain FFN, mixture of experts, SSM),
// each weight attached to the node that consumes it. Node names are dotted
// paths ("blk.3.attn.q"), so every block is a collapsible group.
package llm

import "github.com/modelpeek/modelpeek/model"

// Params are the hyper-parameters the graph is drawn with. Zero means
// unknown: the matching attribute is left out.
type Params struct {
	// Arch is the llama.cpp architecture name ("llama", "qwen2moe", ...).
	Arch string
	// NEmbd, NHead, NHeadKV and HeadDim describe attention.
	NEmbd, NHead, NHeadKV, HeadDim int64
	// SlidingWindow is the local attention window, 0 for none;
	// SlidingPattern says which layers use it (see slidingAt).
	SlidingWindow int64
	// NExpert and NExpertUsed describe a mixture of experts.
	NExpert, NExpertUsed int64
	// RopeDims is the number of rotated dimensions when not all are.
	RopeDims int64
	// AttnSoftcap and FinalSoftcap are gemma2's logit soft-capping values.
	AttnSoftcap, FinalSoftcap float64
	// NVocab sizes the logits.
	NVocab int64
	// Sequential turns off the parallel residual of an architecture that
	// has one by default (GPT-NeoX's use_parallel_residual = false).
	Sequential bool
	// Tied says the output projection reuses the token embedding even when
	// an architecture might store its own (Hugging Face tie_word_embeddings).
	Tied bool
	// NCtxTrain is the context length the model was trained for (GGUF
	// context_length, Hugging Face max_position_embeddings).
	NCtxTrain int64
	// KVDType is the element type of the KV cache the model runs with:
	// llama.cpp's default f16 for GGUF, the config's torch_dtype for
	// Hugging Face layouts.
	KVDType model.DType
	// KVLoraRank is the width of MLA's compressed KV latent (deepseek2).
	KVLoraRank int64
}

// slidingAt returns the sliding window of layer il: gemma2 alternates
// (even layers local), gemma3 has five local layers for each global one,
// the rest apply the window everywhere it is set.
func (p Params) slidingAt(il int) int64 {
	if p.SlidingWindow <= 0 {
		return 0
	}
	switch p.Arch {
	case "gemma2":
		if il%2 != 0 {
			return 0
		}
	case "gemma3":
		if il%6 == 5 {
			return 0
		}
	case "llama":
		// build_llama applies no window (Mistral files carry one).
		return 0
	}
	return p.SlidingWindow
}
