package gguf

import (
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
	"github.com/modelpeek/modelpeek/model/internal/llm"
)

// weightsOnlyNote is the property and warning shown when a file's tensors
// do not make an architecture modelpeek can draw.
const weightsOnlyNote = llm.WeightsOnlyNote

// graphOf draws the computation llama.cpp performs for the file's
// architecture, or, when the tensors make no model it knows, the module
// hierarchy with no edges (weightsOnly true).
func graphOf(h *Header, tensors []*model.Tensor, nVocab int64) (g *model.Graph, weightsOnly bool) {
	if g := llm.Build(llmParams(h, nVocab), tensors, llm.GGUF{}); g != nil {
		return g, false
	}
	return hier.Build(tensors, hier.Options{LeafOp: "Tensor", NoEdges: true,
		Doc: "Weights grouped by module name; " + weightsOnlyNote + "."}), true
}

// llmParams reads the hyper-parameters llama.cpp reads for the
// architecture. GGUF files always fall back to the token embedding when
// output.weight is absent.
func llmParams(h *Header, nVocab int64) llm.Params {
	arch := str(h, "general.architecture")
	i := func(k string) int64 {
		if v, ok := h.Lookup(arch + "." + k); ok {
			n, _ := v.AsInt()
			return max(n, 0)
		}
		return 0
	}
	f := func(k string) float64 {
		if v, ok := h.Lookup(arch + "." + k); ok && (v.Type == TypeFloat32 || v.Type == TypeFloat64) {
			return v.Float
		}
		return 0
	}
	p := llm.Params{
		Arch: arch, NVocab: nVocab, Tied: true,
		NEmbd: i("embedding_length"), NHead: i("attention.head_count"), NHeadKV: i("attention.head_count_kv"),
		HeadDim: i("attention.key_length"), SlidingWindow: i("attention.sliding_window"),
		NExpert: i("expert_count"), NExpertUsed: i("expert_used_count"),
		AttnSoftcap: f("attn_logit_softcapping"), FinalSoftcap: f("final_logit_softcapping"),
		NCtxTrain: i("context_length"), KVLoraRank: i("attention.kv_lora_rank"),
		// llama.cpp's default cache type (--cache-type-k/v f16).
		KVDType: "float16",
	}
	if v, ok := h.Lookup(arch + ".use_parallel_residual"); ok && v.Type == TypeBool && !v.Bool {
		p.Sequential = true
	}
	if p.NHeadKV == 0 {
		p.NHeadKV = p.NHead
	}
	if p.HeadDim == 0 && p.NHead > 0 {
		p.HeadDim = p.NEmbd / p.NHead
	}
	if rd := i("rope.dimension_count"); rd != p.HeadDim {
		p.RopeDims = rd
	}
	return p
}
