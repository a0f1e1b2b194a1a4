package cost_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// llmFacts is the part of facts.llm (../shared/corpus/README.md) the
// expectations are derived from.
type llmFacts struct {
	Architecture *string `json:"architecture"`
	TokenInput   string  `json:"token_input"`
	Output       *string `json:"output"`
	Stacks       []struct {
		Head   []step   `json:"head"`
		Blocks [][]step `json:"blocks"`
		Tail   []step   `json:"tail"`
	} `json:"stacks"`
}

type step struct {
	Op        string   `json:"op"`
	Weights   []string `json:"weights"`
	K         int64    `json:"k"`
	NExpert   int64    `json:"n_expert"`
	Attention *struct {
		NHead      int64  `json:"n_head"`
		NHeadKV    int64  `json:"n_head_kv"`
		HeadDim    int64  `json:"head_dim"`
		Window     *int64 `json:"sliding_window"`
		Causal     *bool  `json:"causal"`
		KVLoraRank int64  `json:"kv_lora_rank"`
		RopeDims   int64  `json:"rope_dims"`
	} `json:"attention"`
}

// expectLLM derives from the facts' steps, as llama.cpp computes them:
// per token, every weight matrix of a matmul (its vector weight when it
// has none: one output) and of the SSM's conv and scan once, the k of n experts of matmul_experts, and per key attended
// 2 × n_head × head_dim; and the prompt's attention over the causal
// triangle (window-capped) or n² keys for an encoder.
func expectLLM(t *testing.T, f llmFacts, elems map[string]int64, n int64) (weights, perKey, prompt int64) {
	t.Helper()
	var attn int64
	for _, s := range f.Stacks {
		blocks := append([][]step{s.Head}, s.Blocks...)
		for _, b := range append(blocks, s.Tail) {
			var k, nExp int64
			for _, st := range b {
				var m, vec int64
				for _, w := range st.Weights {
					m += elems[w]
					vec += elems[vectorKey+w]
				}
				if st.Op == "matmul" && m == 0 {
					m = vec // a vector weight: one output per token
				}
				switch st.Op {
				case "top_k":
					k, nExp = st.K, st.NExpert
				case "matmul", "ssm_conv", "ssm_scan":
					weights += m
				case "matmul_experts":
					weights += m / nExp * k
				case "attention":
					a := st.Attention
					per := 2 * a.NHead * a.HeadDim
					perKey += per
					w := int64(0)
					if a.Window != nil {
						w = *a.Window
					}
					attn += per * keys(n, w, a.Causal == nil || *a.Causal)
				}
			}
		}
	}
	return weights, perKey, n*weights + attn
}

// keys sums the keys attended over a prompt of n tokens, one by one.
func keys(n, window int64, causal bool) int64 {
	var sum int64
	for p := int64(1); p <= n; p++ {
		switch {
		case !causal:
			sum += n
		case window > 0 && p > window:
			sum += window
		default:
			sum += p
		}
	}
	return sum
}

// vectorKey prefixes a vector weight's name in matrixElems' map.
const vectorKey = "vector:"

// matrixElems maps each weight of rank 2 and up to its element count (and
// sums them), each vector weight under vectorKey+name.
func matrixElems(g *model.Graph) (map[string]int64, int64) {
	out := map[string]int64{}
	var sum int64
	for _, t := range g.Initializers {
		n, _ := model.NumElements(t.Shape)
		switch {
		case len(t.Shape) >= 2:
			out[t.Name] = n
			sum += n
		case len(t.Shape) == 1:
			out[vectorKey+t.Name] = n
		}
	}
	return out, sum
}

// TestLLMPerToken checks every LLM architecture file of the manifests
// (GGUF and Hugging Face layouts): MACs per token and for a prompt of 9
// tokens against the facts, and for dense models the rule of thumb that
// a token costs one MAC per weight outside the embedding lookups.
func TestLLMPerToken(t *testing.T) {
	const n = 9
	checked := 0
	for _, e := range testenv.Manifests(t) {
		var fs struct {
			LLM *llmFacts `json:"llm"`
		}
		if json.Unmarshal(e.Facts, &fs) != nil || fs.LLM == nil || fs.LLM.Architecture == nil || !e.Valid() {
			continue
		}
		m := open(t, e.Abs())
		r := cost.Model(context.Background(), m, cost.Options{Dims: map[string]int64{"n_tokens": n}})
		if r.LLM == nil {
			t.Errorf("%s: no LLM cost", e.Name())
			continue
		}
		elems, all := matrixElems(m.Graph)
		w, perKey, prompt := expectLLM(t, *fs.LLM, elems, n)
		l := r.LLM
		t.Logf("%s: %d MACs/token of weights, %d per key, prompt of %d: %d", e.Name(), l.WeightMACsPerToken, l.AttentionMACsPerKey, n, l.MACsPrompt)
		if l.WeightMACsPerToken != w || l.AttentionMACsPerKey != perKey || l.MACsPrompt != prompt || l.PromptTokens != n {
			t.Errorf("%s: got %+v, want weights %d, per key %d, prompt %d", e.Name(), *l, w, perKey, prompt)
		}
		if l.MACsPerToken <= l.WeightMACsPerToken && perKey > 0 {
			t.Errorf("%s: a generated token's %d MACs leave out attention", e.Name(), l.MACsPerToken)
		}
		if dense := denseRule(*fs.LLM, elems, all); dense >= 0 && dense != l.WeightMACsPerToken {
			t.Errorf("%s: %d MACs/token, one per weight outside the lookups is %d", e.Name(), l.WeightMACsPerToken, dense)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no LLM architecture file in the manifests")
	}
}

// denseRule is the "2 × params FLOPs per token" rule in MACs: every
// matrix once, less the lookup tables (the token embedding unless the
// output reuses it); -1 for a mixture of experts, where it does not hold.
func denseRule(f llmFacts, elems map[string]int64, all int64) int64 {
	lookups := map[string]bool{}
	for _, s := range f.Stacks {
		for _, st := range s.Head {
			if st.Op == "get_rows" || st.Op == "add" {
				for _, w := range st.Weights {
					lookups[w] = true
				}
			}
		}
		for _, b := range s.Blocks {
			for _, st := range b {
				if st.Op == "matmul_experts" {
					return -1
				}
			}
		}
	}
	if f.Output != nil && *f.Output == f.TokenInput {
		delete(lookups, f.TokenInput)
	}
	for w := range lookups {
		all -= elems[w]
	}
	return all
}

// TestLLMActivations checks every LLM architecture file of the manifests:
// every node counted and every output sized from the graph's activation
// types, so the activation and peak figures are exact, and they follow
// n_tokens: the activations are the sum of the node outputs' types at
// the n_tokens given.
func TestLLMActivations(t *testing.T) {
	checked := 0
	for _, e := range testenv.Manifests(t) {
		var fs struct {
			LLM *llmFacts `json:"llm"`
		}
		if json.Unmarshal(e.Facts, &fs) != nil || fs.LLM == nil || fs.LLM.Architecture == nil || !e.Valid() {
			continue
		}
		m := open(t, e.Abs())
		for _, n := range []int64{1, 7} {
			r := cost.Model(context.Background(), m, cost.Options{Dims: map[string]int64{"n_tokens": n}})
			if r.UnknownNodes != 0 || r.UnsizedNodes != 0 {
				t.Errorf("%s: %d nodes unknown, %d unsized", e.Name(), r.UnknownNodes, r.UnsizedNodes)
			}
			if want := outputBytes(t, m.Graph, n); r.ActivationBytes != want || r.PeakBytes <= 0 || r.PeakBytes > want {
				t.Errorf("%s at n_tokens %d: activations %d (peak %d), the outputs' types give %d", e.Name(), n, r.ActivationBytes, r.PeakBytes, want)
			}
			if r.Symbols["n_tokens"] != n {
				t.Errorf("%s: symbols %v, want n_tokens %d", e.Name(), r.Symbols, n)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no LLM architecture file in the manifests")
	}
}

// outputBytes sums the bytes of g's node outputs from their types, with
// n_tokens set to n.
func outputBytes(t *testing.T, g *model.Graph, n int64) int64 {
	t.Helper()
	types := map[string]*model.Type{}
	for _, v := range append(append([]*model.Value{}, g.ValueInfo...), g.Outputs...) {
		if v.Type != nil {
			types[v.Name] = v.Type
		}
	}
	var sum int64
	for _, nd := range g.Nodes {
		for _, o := range nd.Outputs {
			ty := types[o]
			if ty == nil {
				t.Errorf("output %s of %s untyped", o, nd.Name)
				continue
			}
			size, _ := model.DTypeSize(ty.DType)
			b := int64(size)
			for _, d := range ty.Shape {
				switch {
				case d.Known:
					b *= d.Size
				case d.Param == "n_tokens":
					b *= n
				default:
					t.Errorf("output %s of %s: dim %+v", o, nd.Name, d)
				}
			}
			sum += b
		}
	}
	return sum
}
