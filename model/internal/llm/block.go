package llm

import (
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// blk draws one numbered block.
type blk struct {
	*builder
	*Block
	il      int
	first   *Block // the stack's first block (T5 shares its position bias)
	encoder bool   // a block of an encoder stack: attention is not causal
}

func (k *blk) has(role string) bool { return len(k.Roles[role]) > 0 }

// name is a node name inside the block.
func (k *blk) name(label string) string { return k.Prefix + "." + label }

// wname names a weighted node after the module of its tensors ("blk.0.attn_q",
// "model.layers.0.self_attn.q_proj"), or after its role when the tensors
// span modules (per-expert tensors).
func (k *blk) wname(role string) string {
	ts := k.Roles[role]
	mod := trimKind(ts[0])
	for _, t := range ts[1:] {
		if trimKind(t) != mod {
			return k.name(role)
		}
	}
	return mod
}

// wop adds a node consuming the role's tensors; without them the input
// passes through unchanged.
func (k *blk) wop(role, op, in string, more ...string) string {
	if !k.has(role) {
		return in
	}
	return k.op(k.wname(role), op, append([]string{in}, more...), k.Roles[role])
}

func (k *blk) matmul(role, in string) string { return k.wop(role, "matmul", in) }

func (k *blk) norm(role, in string) string { return k.wop(role, k.normOp(k.Roles[role]), in) }

func (k *blk) unary(label, op, in string) string { return k.op(k.name(label), op, []string{in}, nil) }

func (k *blk) add(label string, a, b string) string {
	return k.op(k.name(label), "add", []string{a, b}, nil)
}

func (k *blk) act(label, in string) string {
	if k.p.Arch == "t5" && !k.has("ffn_gate") {
		return k.unary(label, "relu", in)
	}
	if geluArch[k.p.Arch] || k.p.Arch == "t5" {
		return k.unary(label, "gelu", in)
	}
	return k.unary(label, "silu", in)
}

func (k *blk) hasAttention() bool {
	for _, r := range []string{"attn_q", "attn_qkv", "attn_q_a", "attn_q_b", "attn_kv_a_mqa"} {
		if k.has(r) {
			return true
		}
	}
	return false
}

// build draws the block from its input x and returns its output.
func (k *blk) build(x string) string {
	if k.has("ssm_in") {
		return k.mamba(x)
	}
	cur := k.norm("attn_norm", x)
	if !k.hasAttention() {
		return k.add("ffn_residual", k.ffn(cur), x)
	}
	a := k.attention(cur)
	a = k.norm("post_attention_norm", a)
	if parallelArch[k.p.Arch] && !k.p.Sequential {
		in := cur
		switch {
		case k.has("ffn_norm"):
			in = k.norm("ffn_norm", x)
		case k.has("attn_norm_2"):
			in = k.norm("attn_norm_2", x)
		}
		f := k.ffn(in)
		return k.add("residual", k.add("ffn_attn_add", f, a), x)
	}
	h := k.add("attn_residual", a, x)
	h = k.norm("attn_output_norm", h)
	if k.has("cross_attn_q") && k.encOut != "" {
		h = k.add("cross_attn_residual", k.crossAttention(k.norm("cross_attn_norm", h)), h)
	}
	f := k.ffn(k.norm("ffn_norm", h))
	f = k.norm("post_ffw_norm", f)
	out := k.add("ffn_residual", f, h)
	return k.norm("layer_output_norm", out)
}

// attention draws Q/K/V (separate, fused or MLA), their norms, RoPE, the
// attention itself and the output projection.
func (k *blk) attention(in string) string {
	if k.has("attn_kv_a_mqa") {
		return k.mla(in)
	}
	var q, kk, v string
	if k.has("attn_qkv") {
		qkv := k.matmul("attn_qkv", in)
		o := k.opN(k.name("qkv_split"), "split", []string{qkv}, nil, 3)
		q, kk, v = o[0], o[1], o[2]
	} else {
		q, kk, v = k.matmul("attn_q", in), k.matmul("attn_k", in), k.matmul("attn_v", in)
	}
	q, kk = k.norm("attn_q_norm", q), k.norm("attn_k_norm", kk)
	if k.rope() {
		q, kk = k.ropeOp("rope_q", q), k.ropeOp("rope_k", kk)
	}
	if scaleQArch[k.p.Arch] {
		q = k.unary("scale_q", "scale", q)
	}
	att := k.op(k.name("attention"), "attention", []string{q, kk, v}, k.first.Roles["attn_rel_b"], k.attnAttrs()...)
	return k.matmul("attn_output", att)
}

// crossAttention draws a decoder block's attention over the encoder's
// output: queries from the block, keys and values from the encoder.
func (k *blk) crossAttention(in string) string {
	q := k.matmul("cross_attn_q", in)
	kk, v := k.matmul("cross_attn_k", k.encOut), k.matmul("cross_attn_v", k.encOut)
	attrs := slices.DeleteFunc(k.attnAttrs(), func(a model.Attribute) bool { return a.Name == "causal" })
	attrs = append(attrs, model.Attribute{Name: "causal", Type: model.AttrBool, Int: 0})
	att := k.op(k.name("cross_attention"), "attention", []string{q, kk, v}, nil, attrs...)
	return k.matmul("cross_attn_o", att)
}

// ropeOp rotates in; the file's rope frequency factors (rope_freqs, shared
// by every layer, as llama.cpp passes them to each rope) are its weight.
func (k *blk) ropeOp(label, in string) string {
	return k.op(k.name(label), "rope", []string{in}, k.global("rope_freqs"))
}

func (k *blk) rope() bool {
	return !absolutePosArch[k.p.Arch] && len(k.global("position_embd")) == 0
}

// attnAttrs are the attention node's typed attributes.
func (k *blk) attnAttrs() []model.Attribute {
	var as []model.Attribute
	for _, a := range []struct {
		name string
		v    int64
	}{{"n_head", k.p.NHead}, {"n_head_kv", k.p.NHeadKV}, {"head_dim", k.p.HeadDim}, {"sliding_window", k.p.slidingAt(k.il)}, {"rope_dims", k.p.RopeDims}} {
		if a.v > 0 {
			as = append(as, intAttr(a.name, a.v))
		}
	}
	if k.p.NCtxTrain > 0 {
		as = append(as, intAttr("n_ctx_train", k.p.NCtxTrain))
	}
	if k.p.KVDType != "" {
		as = append(as, strAttr("kv_dtype", string(k.p.KVDType)))
	}
	if k.p.AttnSoftcap > 0 {
		as = append(as, model.Attribute{Name: "attn_logit_softcapping", Type: model.AttrFloat, Float: k.p.AttnSoftcap})
	}
	if encoderArch[k.p.Arch] || k.encoder {
		as = append(as, model.Attribute{Name: "causal", Type: model.AttrBool, Int: 0})
	} else {
		as = append(as, model.Attribute{Name: "causal", Type: model.AttrBool, Int: 1})
	}
	return as
}

// mla draws DeepSeek's multi-head latent attention: a low-rank query path
// and a compressed KV path with a separate RoPE part.
func (k *blk) mla(in string) string {
	rank, rope := k.latentDims()
	ws := k.mlaWidths(rank, rope)
	fix := func(label string) {
		if ws[label] != nil {
			k.fix(ws[label])
		}
	}
	q := k.matmul("attn_q", in)
	if k.has("attn_q_a") {
		q = k.matmul("attn_q_b", k.norm("attn_q_a_norm", k.matmul("attn_q_a", in)))
	}
	qs := k.opN(k.name("q_split"), "split", []string{q}, nil, 2)
	fix("q_split")
	qpe := k.ropeOp("rope_q", qs[1])
	kva := k.opN(k.name("kv_split"), "split", []string{k.matmul("attn_kv_a_mqa", in)}, nil, 2)
	fix("kv_split")
	kpe := k.ropeOp("rope_k", kva[1])
	kv := k.matmul("attn_kv_b", k.norm("attn_kv_a_norm", kva[0]))
	kvs := k.opN(k.name("kv_b_split"), "split", []string{kv}, nil, 2)
	fix("kv_b_split")
	qq := k.op(k.name("q_concat"), "concat", []string{qs[0], qpe}, nil)
	fix("q_concat")
	kk := k.op(k.name("k_concat"), "concat", []string{kvs[0], kpe}, nil)
	fix("k_concat")
	att := k.op(k.name("attention"), "attention", []string{qq, kk, kvs[1]}, nil, append(k.attnAttrs(), k.latentAttrs(rank, rope)...)...)
	fix("attention")
	return k.matmul("attn_output", att)
}

// latentDims are MLA's latent rank (the metadata's kv_lora_rank, else the
// length of the latent's norm) and rotated dims (the metadata's, else
// the rest of attn_kv_a_mqa's output); 0 when unknown.
func (k *blk) latentDims() (rank, rope int64) {
	rank = k.p.KVLoraRank
	if rank <= 0 {
		for _, t := range k.Roles["attn_kv_a_norm"] {
			if s := k.byName[t].Shape; len(s) == 1 {
				rank = s[0]
			}
		}
	}
	rope = k.p.RopeDims
	if w := k.shape2("attn_kv_a_mqa"); rope <= 0 && rank > 0 && w != nil {
		rope = max(otherSide(w, k.p.NEmbd)-rank, 0)
	}
	return max(rank, 0), rope
}

// latentAttrs are MLA's cache sizes: kv_lora_rank and, when the
// metadata does not give them (so attnAttrs has not), rope_dims.
func (k *blk) latentAttrs(rank, rope int64) []model.Attribute {
	if rank <= 0 {
		return nil
	}
	as := []model.Attribute{intAttr("kv_lora_rank", rank)}
	if k.p.RopeDims <= 0 && rope > 0 {
		as = append(as, intAttr("rope_dims", rope))
	}
	return as
}

// ffn draws the feed-forward part: dense or mixture of experts.
func (k *blk) ffn(in string) string {
	if k.has("ffn_gate_inp") {
		return k.moe(in)
	}
	return k.dense(in, "", "ffn_gate", "ffn_up", "ffn_down", "matmul", nil)
}

// dense draws a gated (gate, up, act, mul), fused (up, swiglu) or plain
// (up, act) FFN followed by the down projection.
func (k *blk) dense(in, label, gate, up, down, op string, sel []string) string {
	mm := func(role, x string) string { return k.wop(role, op, x, sel...) }
	var h string
	switch {
	case k.has(gate):
		g, u := mm(gate, in), mm(up, in)
		h = k.op(k.name(label+"ffn_mul"), "mul", []string{k.act(label+"ffn_act", g), u}, nil)
	case fusedUpGateArch[k.p.Arch] && op == "matmul":
		h = k.unary(label+"ffn_swiglu", "swiglu", mm(up, in))
	default:
		h = k.act(label+"ffn_act", mm(up, in))
	}
	return mm(down, h)
}

// moe draws router -> softmax -> top-k -> experts -> weighted sum, plus
// shared experts (gated by a sigmoid when the file has that gate).
func (k *blk) moe(in string) string {
	probs := k.unary("router_softmax", "softmax", k.matmul("ffn_gate_inp", in))
	var top []model.Attribute
	if k.p.NExpertUsed > 0 {
		top = append(top, intAttr("k", k.p.NExpertUsed))
	}
	if k.p.NExpert > 0 {
		top = append(top, intAttr("n_expert", k.p.NExpert))
	}
	sel := k.op(k.name("top_k"), "top_k", []string{probs}, nil, top...)
	d := k.dense(in, "exp_", "ffn_gate_exps", "ffn_up_exps", "ffn_down_exps", "matmul_experts", []string{sel})
	out := k.op(k.name("experts_sum"), "weighted_sum_experts", []string{d, sel}, nil)
	if !k.has("ffn_up_shexp") {
		return out
	}
	sh := k.dense(in, "shexp_", "ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp", "matmul", nil)
	if k.has("ffn_gate_inp_shexp") {
		g := k.unary("shexp_sigmoid", "sigmoid", k.matmul("ffn_gate_inp_shexp", in))
		sh = k.op(k.name("shexp_gate_mul"), "mul", []string{sh, g}, nil)
	}
	return k.add("experts_shexp_add", out, sh)
}

// mamba draws a Mamba SSM block as llama.cpp's build_mamba does.
func (k *blk) mamba(x string) string {
	cur := k.norm("attn_norm", x)
	xz := k.opN(k.name("ssm_in_split"), "split", []string{k.matmul("ssm_in", cur)}, nil, 2)
	c := k.unary("ssm_conv_silu", "silu", k.wop("ssm_conv1d", "ssm_conv", xz[0]))
	dbc := k.opN(k.name("ssm_x_split"), "split", []string{k.matmul("ssm_x", c)}, nil, 3)
	k.ssmSplit(k.g.Nodes[len(k.g.Nodes)-1])
	dt := k.matmul("ssm_dt", dbc[0])
	y := k.wop("ssm_a", "ssm_scan", c, dt, dbc[1], dbc[2])
	if k.has("ssm_d") {
		y = k.add("ssm_d_add", y, k.wop("ssm_d", "mul", c))
	}
	y = k.op(k.name("ssm_gate_mul"), "mul", []string{y, k.unary("ssm_z_silu", "silu", xz[1])}, nil)
	return k.add("residual", k.matmul("ssm_out", y), x)
}
