package llm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Build returns the computation graph of a model whose tensors m maps onto
// roles, or nil when they do not make a model it can draw: no token
// embedding, no numbered block, or a block with neither attention, FFN nor
// SSM weights. Every tensor is consumed by exactly one node (a tied
// embedding by two); tensors of unknown role get a node of their own, op
// "weights", with no edges.
func Build(p Params, tensors []*model.Tensor, m Mapper) *model.Graph {
	names := make([]string, len(tensors))
	byName := make(map[string]*model.Tensor, len(tensors))
	for i, t := range tensors {
		names[i] = t.Name
		byName[t.Name] = t
	}
	r := MapNames(names, m)
	if !drawable(r) {
		return nil
	}
	_, hf := m.(HF)
	b := &builder{
		p: p, r: r, hf: hf, byName: byName,
		values: make(map[string]bool, 4*len(tensors)),
		nodes:  make(map[string]bool, 4*len(tensors)),
		took:   make(map[string]bool, len(tensors)),
		fixed:  map[string]widthRule{},
		g: &model.Graph{
			Inputs: []*model.Value{}, Outputs: []*model.Value{},
			Initializers: make([]*model.Tensor, 0, len(tensors)),
		},
	}
	for _, n := range names {
		b.values[n] = true
	}
	x := b.head()
	if len(r.Encoder) > 0 {
		x = b.encoder(x)
	}
	x = b.stack(r.Blocks, x, false)
	b.tail(x)
	b.leftovers(tensors)
	b.typeValues()
	return b.g
}

// stack draws blocks in order from x.
func (b *builder) stack(blocks []Block, x string, encoder bool) string {
	for i := range blocks {
		k := &blk{builder: b, Block: &blocks[i], il: i, first: &blocks[0], encoder: encoder}
		x = k.build(x)
	}
	return x
}

// encoder draws the encoder stack of an encoder-decoder model (T5) and
// returns the decoder's embedded tokens; the encoder's output feeds every
// decoder block's cross-attention.
func (b *builder) encoder(x string) string {
	e := b.stack(b.r.Encoder, x, true)
	if nw := b.global("enc.output_norm"); len(nw) > 0 {
		e = b.op(b.globalName("enc.output_norm"), b.normOp(nw), []string{e}, nw)
	}
	b.encOut = e
	dec := b.input("decoder_tokens")
	return b.op("dec.token_embd", "get_rows", []string{dec}, b.global("token_embd"))
}

// drawable says whether the roles make a model Build knows.
func drawable(r Roles) bool {
	if len(r.Global["token_embd"]) == 0 || len(r.Blocks) == 0 {
		return false
	}
	for _, bl := range slices.Concat(r.Encoder, r.Blocks) {
		ok := false
		for _, role := range []string{"attn_q", "attn_qkv", "attn_q_a", "attn_q_b", "ffn_up", "ffn_up_exps", "ssm_in"} {
			if len(bl.Roles[role]) > 0 {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

type builder struct {
	p      Params
	r      Roles
	hf     bool
	byName map[string]*model.Tensor
	values map[string]bool // value names in use
	nodes  map[string]bool // node names in use
	took   map[string]bool // tensors attached to a node
	g      *model.Graph
	encOut string // the encoder's output (encoder-decoder models)
	// fixed give the output widths of nodes whose widths follow from their
	// block's weights rather than their op (the SSM's dt, B, C split, MLA's
	// splits, concats and attention), by node name.
	fixed map[string]widthRule
}

// op adds a node with one output and returns the output's name.
func (b *builder) op(name, op string, in, weights []string, attrs ...model.Attribute) string {
	return b.opN(name, op, in, weights, 1, attrs...)[0]
}

// opN adds a node with n outputs.
func (b *builder) opN(name, op string, in, weights []string, n int, attrs ...model.Attribute) []string {
	nd := &model.Node{Name: unique(name, b.nodes), OpType: op, Category: category(op), Attrs: attrs, Outputs: []string{}}
	nd.Inputs = make([]string, 0, len(in)+len(weights))
	for _, v := range in {
		if v != "" {
			nd.Inputs = append(nd.Inputs, v)
		}
	}
	var params int64
	for _, w := range weights {
		nd.Inputs = append(nd.Inputs, w)
		if n, ok := model.NumElements(b.byName[w].Shape); ok {
			params += n
		}
		if !b.took[w] {
			b.took[w] = true
			b.g.Initializers = append(b.g.Initializers, b.byName[w])
		}
	}
	if len(weights) > 0 {
		nd.Attrs = append(slices.Clip(nd.Attrs), intAttr("parameters", params))
	}
	for i := 0; i < n; i++ {
		v := nd.Name
		if n > 1 {
			v = fmt.Sprintf("%s:%d", nd.Name, i)
		}
		nd.Outputs = append(nd.Outputs, unique(v, b.values))
	}
	b.g.Nodes = append(b.g.Nodes, nd)
	return nd.Outputs
}

// input declares a graph input of int32 ids, one per token.
func (b *builder) input(name string) string {
	v := unique(name, b.values)
	b.g.Inputs = append(b.g.Inputs, &model.Value{Name: v, Type: &model.Type{
		Kind: model.KindTensor, DType: "int32", Shape: model.Shape{{Param: "n_tokens"}},
	}})
	return v
}

// global returns the tensors of a global role.
func (b *builder) global(role string) []string { return b.r.Global[role] }

// globalName names a node after the module of its first tensor.
func (b *builder) globalName(role string) string {
	if ts := b.global(role); len(ts) > 0 {
		return trimKind(ts[0])
	}
	return role
}

// head embeds the tokens: token (and position, token type) embeddings,
// gemma's scaling, BERT's embedding norm.
func (b *builder) head() string {
	tok := b.input("tokens")
	x := b.op(b.globalName("token_embd"), "get_rows", []string{tok}, b.global("token_embd"))
	if strings.HasPrefix(b.p.Arch, "gemma") {
		x = b.op("token_embd_scale", "scale", []string{x}, nil)
	}
	sum := []string{x}
	if tt := b.global("token_types"); len(tt) > 0 {
		if b.hf {
			ids := b.input("token_type_ids")
			sum = append(sum, b.op(b.globalName("token_types"), "get_rows", []string{ids}, tt))
		} else {
			sum = []string{b.op(b.globalName("token_types"), "add", sum, tt)}
		}
	}
	if pe := b.global("position_embd"); len(pe) > 0 {
		pos := b.input("positions")
		sum = append(sum, b.op(b.globalName("position_embd"), "get_rows", []string{pos}, pe))
	}
	x = sum[0]
	if len(sum) > 1 {
		x = b.op("embeddings_add", "add", sum, nil)
	}
	if nw := b.global("token_embd_norm"); len(nw) > 0 {
		x = b.op(b.globalName("token_embd_norm"), b.normOp(nw), []string{x}, nw)
	}
	return x
}

// tail applies the output norm and the last projection (stored, tied to
// the embedding, or BERT's pooler) and declares the graph output.
func (b *builder) tail(x string) {
	for _, role := range []string{"output_norm", "dec.output_norm"} {
		if nw := b.global(role); len(nw) > 0 {
			x = b.op(b.globalName(role), b.normOp(nw), []string{x}, nw)
		}
	}
	logits := false
	switch {
	case len(b.global("output")) > 0:
		x, logits = b.op(b.globalName("output"), "matmul", []string{x}, b.global("output")), true
	case len(b.global("pooler")) > 0:
		x = b.op("pooler_slice", "slice", []string{x}, nil)
		x = b.op(b.globalName("pooler"), "matmul", []string{x}, b.global("pooler"))
		x = b.op("pooler_tanh", "tanh", []string{x}, nil)
	case encoderArch[b.p.Arch]:
		x = b.op("pooling", "pooling", []string{x}, nil)
	case b.p.Tied:
		x, logits = b.op("output", "matmul", []string{x}, b.global("token_embd"), strAttr("tied", b.global("token_embd")[0])), true
	}
	if logits && b.p.FinalSoftcap > 0 {
		x = b.op("softcap_scale", "scale", []string{x}, nil)
		x = b.op("softcap_tanh", "tanh", []string{x}, nil)
		x = b.op("softcap_rescale", "scale", []string{x}, nil)
	}
	if last := b.g.Nodes[len(b.g.Nodes)-1]; logits && last.Outputs[0] == x {
		x = unique("logits", b.values)
		last.Outputs[0] = x
	}
	out := &model.Value{Name: x}
	if logits {
		shape := model.Shape{{Param: "n_tokens"}, {Param: "n_vocab"}}
		if b.p.NVocab > 0 {
			shape[1] = model.IntDim(b.p.NVocab)
		}
		out.Type = &model.Type{Kind: model.KindTensor, DType: "float32", Shape: shape}
	}
	b.g.Outputs = append(b.g.Outputs, out)
}

// leftovers gives each module of unconsumed tensors a node of its own: a
// container with no edges, since its use is unknown.
func (b *builder) leftovers(tensors []*model.Tensor) {
	var mods []string
	by := map[string][]string{}
	for _, t := range tensors {
		if b.took[t.Name] {
			continue
		}
		mod := trimKind(t.Name)
		if _, ok := by[mod]; !ok {
			mods = append(mods, mod)
		}
		by[mod] = append(by[mod], t.Name)
	}
	for _, mod := range mods {
		b.opN(mod, "weights", nil, by[mod], 0)
		b.g.Nodes[len(b.g.Nodes)-1].Container = true
	}
}

// normOp is layer_norm for architectures (or norms with a bias) that
// subtract the mean, rms_norm otherwise.
func (b *builder) normOp(ts []string) string {
	if layerNormArch[b.p.Arch] {
		return "layer_norm"
	}
	for _, t := range ts {
		if strings.HasSuffix(t, ".bias") {
			return "layer_norm"
		}
	}
	return "rms_norm"
}

func unique(name string, used map[string]bool) string {
	out := name
	for i := 1; used[out]; i++ {
		out = fmt.Sprintf("%s:%d", name, i)
	}
	used[out] = true
	return out
}

func category(op string) string {
	switch op {
	case "get_rows":
		return "data"
	case "rms_norm", "layer_norm":
		return "normalization"
	case "silu", "gelu", "relu", "sigmoid", "tanh", "softmax", "swiglu":
		return "activation"
	case "split", "concat", "slice":
		return "shape"
	case "pooling":
		return "pooling"
	case "weights":
		return "data"
	case "add", "mul", "scale", "weighted_sum_experts", "top_k":
		return ""
	}
	return "layer"
}

func intAttr(name string, v int64) model.Attribute {
	return model.Attribute{Name: name, Type: model.AttrInt, Int: v}
}

func strAttr(name, v string) model.Attribute {
	return model.Attribute{Name: name, Type: model.AttrString, String: v}
}

// Known reports whether arch is an architecture Build draws with its own
// rules (any other gets the generic decoder when its roles are standard).
func Known(arch string) bool { return slices.Contains(knownArchs, arch) }

var knownArchs = []string{
	"llama", "qwen2", "qwen3", "qwen2moe", "qwen3moe", "gemma", "gemma2", "gemma3",
	"phi3", "gpt2", "falcon", "gptneox", "bert", "mamba", "deepseek2", "t5",
}

var layerNormArch = map[string]bool{
	"gpt2": true, "falcon": true, "gptneox": true, "bert": true, "nomic-bert": true,
	"jina-bert-v2": true, "starcoder": true, "phi2": true, "bloom": true, "mpt": true, "gptj": true,
}

var geluArch = map[string]bool{
	"gemma": true, "gemma2": true, "gemma3": true, "gpt2": true, "bert": true, "falcon": true,
	"gptneox": true, "starcoder": true, "phi2": true, "bloom": true, "mpt": true, "gptj": true,
	"nomic-bert": true, "jina-bert-v2": true,
}

var parallelArch = map[string]bool{"falcon": true, "gptneox": true, "phi2": true, "gptj": true}

var encoderArch = map[string]bool{"bert": true, "nomic-bert": true, "jina-bert-v2": true}

var absolutePosArch = map[string]bool{"t5": true, "gpt2": true, "bert": true, "starcoder": true, "bloom": true, "mpt": true}

var scaleQArch = map[string]bool{"gemma": true, "gemma2": true, "gemma3": true, "phi3": true}

var fusedUpGateArch = map[string]bool{"phi3": true}
