package cost

import (
	"github.com/modelpeek/modelpeek/model"
)

// tokensDim is the symbol of the LLM graph's token count.
const tokensDim = "n_tokens"

// ctxDim is the symbol of the keys each query token attends to.
const ctxDim = "n_ctx"

// LLM is a language model's cost per token and its KV cache, from the
// architecture graph of model/internal/llm (GGUF, Hugging Face layouts):
// its weights and the attention nodes' hyper-parameters.
type LLM struct {
	// WeightMACsPerToken are the matrix products' MACs for one token:
	// every weight matrix once (experts: the k used of n), the embedding
	// lookup free.
	WeightMACsPerToken int64 `json:"weight_macs_per_token"`
	// AttentionMACsPerKey are the attention MACs of one token per key it
	// attends to: Σ over layers 2 × heads × head dim (Q·Kᵀ and ·V).
	AttentionMACsPerKey int64 `json:"attention_macs_per_key"`
	// PromptTokens is N, the n_tokens option (1 unless set).
	PromptTokens int64 `json:"prompt_tokens"`
	// MACsPerToken is one generated token after the prompt: the weights
	// and attention over the N+1 keys then held (a sliding window caps it).
	MACsPerToken int64 `json:"macs_per_token"`
	// MACsPrompt is the prompt of N tokens in one pass: N × the weights,
	// and attention over the causal triangle (N² keys for an encoder).
	MACsPrompt int64 `json:"macs_prompt"`
	// KVCache is what a decoder keeps per token attended (kv.go); 0
	// for an encoder and for SSM layers, whose state does not grow.
	KVCache
}

// isLLM says whether g is an architecture graph of model/internal/llm:
// token ids in, counted by the n_tokens symbol, and its lower-case ops.
func isLLM(g *model.Graph) bool {
	tokens := false
	for _, v := range g.Inputs {
		if v != nil && v.Type != nil && len(v.Type.Shape) == 1 && v.Type.Shape[0].Param == tokensDim {
			tokens = true
		}
	}
	if !tokens {
		return false
	}
	for _, n := range g.Nodes {
		if llmRules[n.OpType] != nil {
			return true
		}
	}
	return false
}

// llmRules count the LLM graph's weighted products and attention.
var llmRules map[string]macRule

func init() {
	llmRules = map[string]macRule{
		"matmul":         perToken,
		"ssm_conv":       perToken,
		"ssm_scan":       perToken,
		"matmul_experts": perTokenExperts,
		"attention":      llmAttention,
	}
}

// matrixElems sums the elements of the node's weights of rank 2 and up
// (biases and norms are elementwise).
func (c *nodeCtx) matrixElems() (int64, bool) {
	var sum int64
	found := false
	for _, in := range c.n.Inputs {
		t := c.sc.inits[in]
		if t == nil || len(t.Shape) < 2 {
			continue
		}
		e, ok := model.NumElements(t.Shape)
		if !ok {
			return 0, false
		}
		sum, found = satAdd(sum, e), true
	}
	return sum, found
}

// vectorElems is the length of a matmul's vector weight (a product with
// one output, such as the shared experts' gate), false when it has none.
func (c *nodeCtx) vectorElems() (int64, bool) {
	for _, in := range c.n.Inputs {
		if t := c.sc.inits[in]; t != nil && len(t.Shape) == 1 && t.Shape[0] > 0 {
			return t.Shape[0], true
		}
	}
	return 0, false
}

// perToken is every weight matrix element once per token (a vector
// weight's elements when the node has no matrix).
func perToken(c *nodeCtx) (Term, bool) {
	e, ok := c.matrixElems()
	if !ok && c.n.OpType == "matmul" {
		e, ok = c.vectorElems()
	}
	if !ok {
		return Term{}, false
	}
	return Term{Coef: e}.mulDim(model.Dim{Param: tokensDim})
}

// perTokenExperts is perToken for the k experts used of n: k and n come
// from the top_k node selecting them.
func perTokenExperts(c *nodeCtx) (Term, bool) {
	e, ok := c.matrixElems()
	if !ok {
		return Term{}, false
	}
	sel := c.sc.topK(c.n)
	if sel == nil {
		return Term{}, false
	}
	sc := &nodeCtx{sc: c.sc, n: sel}
	k, n := sc.intAttr("k", 0), sc.intAttr("n_expert", 0)
	if k <= 0 || n <= 0 || e%n != 0 {
		return Term{}, false
	}
	return Term{Coef: satMul(e/n, k)}.mulDim(model.Dim{Param: tokensDim})
}

// topK finds the top_k node among n's producers.
func (sc *scope) topK(n *model.Node) *model.Node {
	for _, in := range n.Inputs {
		if p := sc.producers[in]; p != nil && p.OpType == "top_k" {
			return p
		}
	}
	return nil
}

// llmAttention is 2 × heads × head dim per query token and key.
func llmAttention(c *nodeCtx) (Term, bool) {
	h, d := c.intAttr("n_head", 0), c.intAttr("head_dim", 0)
	if h <= 0 || d <= 0 {
		return Term{}, false
	}
	t, ok := Term{Coef: 2}.mulInt(h)
	if ok {
		t, ok = t.mulInt(d)
	}
	if ok {
		t, ok = t.mulDim(model.Dim{Param: tokensDim})
	}
	if !ok {
		return Term{}, false
	}
	return t.mulDim(model.Dim{Param: ctxDim})
}

// llmCost sums the graph's per-token figures for a prompt of N tokens.
func llmCost(g *model.Graph, nodes []Node, opt Options) *LLM {
	nTok := int64(1)
	if v, ok := opt.Dims[tokensDim]; ok && v > 0 {
		nTok = v
	}
	l := &LLM{PromptTokens: nTok}
	var attnNext, attnPrompt int64
	for i, n := range g.Nodes {
		nd := nodes[i]
		if nd.Unknown || llmRules[n.OpType] == nil {
			continue
		}
		if n.OpType != "attention" {
			l.WeightMACsPerToken = satAdd(l.WeightMACsPerToken, nd.Formula.Coef)
			continue
		}
		per := nd.Formula.Coef
		l.AttentionMACsPerKey = satAdd(l.AttentionMACsPerKey, per)
		c := &nodeCtx{n: n}
		window, causal := c.intAttr("sliding_window", 0), c.intAttr("causal", 1) != 0
		attnNext = satAdd(attnNext, satMul(per, keysAt(nTok+1, window)))
		attnPrompt = satAdd(attnPrompt, satMul(per, promptKeys(nTok, window, causal)))
	}
	l.MACsPerToken = satAdd(l.WeightMACsPerToken, attnNext)
	l.MACsPrompt = satAdd(satMul(nTok, l.WeightMACsPerToken), attnPrompt)
	l.KVCache = kvCache(g, opt)
	return l
}

// keysAt is the keys the token at position p (1-based) attends to.
func keysAt(p, window int64) int64 {
	if window > 0 {
		return min(p, window)
	}
	return p
}

// promptKeys sums the keys over a prompt of n tokens: the causal
// triangle (window-capped), or n² without a causal mask.
func promptKeys(n, window int64, causal bool) int64 {
	if !causal {
		return satMul(n, n)
	}
	if window <= 0 || window >= n {
		return satMul(n, n+1) / 2
	}
	// positions 1..window grow, the rest see the full window.
	return satAdd(satMul(window, window+1)/2, satMul(n-window, window))
}
