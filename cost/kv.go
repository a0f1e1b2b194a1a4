package cost

import "github.com/modelpeek/modelpeek/model"

// KVCache is the keys and values a decoder keeps for the tokens its
// causal attention layers attend to: per layer 2 × n_head_kv × head_dim
// elements per token (MLA: the compressed latent, kv_lora_rank + the
// rotated dims, keys and values both drawn from it), in the cache's
// element type. Encoders (no causal attention) and SSM layers (a state
// of fixed size) keep none; a cross-attention's keys come from the
// encoder and are not counted.
type KVCache struct {
	// KVDType is the cache's element type (llama.cpp's default f16 for
	// GGUF, the config's torch_dtype for Hugging Face layouts).
	KVDType model.DType `json:"kv_dtype,omitempty"`
	// KVLayers counts the layers that keep a cache.
	KVLayers int `json:"kv_layers"`
	// KVBytesPerToken is one more token's keys and values over all layers.
	KVBytesPerToken int64 `json:"kv_bytes_per_token"`
	// KVContextTokens is the context N: the n_ctx option, else the
	// model's context length; 0 when neither is known. (n_ctx is also the
	// keys each token attends to in the MACs formula, where unset it
	// counts 1 like every symbol.)
	KVContextTokens int64 `json:"kv_context_tokens"`
	// KVBytesContext is the cache holding N tokens, a sliding-window
	// layer keeping at most its window.
	KVBytesContext int64 `json:"kv_bytes_context"`
}

// kvDefaultType is the element type when a graph does not say (llama.cpp's
// default cache type).
const kvDefaultType model.DType = "float16"

// kvCache sums the cache of g's causal attention nodes.
func kvCache(g *model.Graph, opt Options) KVCache {
	var kv KVCache
	type layer struct{ bytes, window int64 }
	var layers []layer
	var nCtx int64
	for _, n := range g.Nodes {
		c := &nodeCtx{n: n}
		if n.OpType != "attention" || c.intAttr("causal", 1) == 0 {
			continue
		}
		elems := kvElems(c)
		dt := kvDefaultType
		if a := c.attr("kv_dtype"); a != nil && a.Type == model.AttrString && a.String != "" {
			dt = model.DType(a.String)
		}
		b, ok := elemBytes(dt, elems)
		if elems <= 0 || !ok {
			continue
		}
		kv.KVDType = dt
		layers = append(layers, layer{b, c.intAttr("sliding_window", 0)})
		nCtx = max(nCtx, c.intAttr("n_ctx_train", 0))
	}
	if v, ok := opt.Dims[ctxDim]; ok && v > 0 {
		nCtx = v
	}
	kv.KVLayers, kv.KVContextTokens = len(layers), nCtx
	for _, l := range layers {
		kv.KVBytesPerToken = satAdd(kv.KVBytesPerToken, l.bytes)
		kv.KVBytesContext = satAdd(kv.KVBytesContext, satMul(l.bytes, keysAt(nCtx, l.window)))
	}
	return kv
}

// kvElems is the elements one token adds to an attention node's cache:
// MLA's latent (kv_lora_rank + rope_dims), else keys and values of
// n_head_kv (default n_head) heads of head_dim.
func kvElems(c *nodeCtx) int64 {
	if r := c.intAttr("kv_lora_rank", 0); r > 0 {
		return satAdd(r, max(c.intAttr("rope_dims", 0), 0))
	}
	h, d := c.intAttr("n_head_kv", c.intAttr("n_head", 0)), c.intAttr("head_dim", 0)
	if h <= 0 || d <= 0 {
		return 0
	}
	return satMul(2, satMul(h, d))
}
