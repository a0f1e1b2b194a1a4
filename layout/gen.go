package layout

import (
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// graphGen builds synthetic graphs shaped like exported models.
type graphGen struct {
	g    *model.Graph
	next int
}

func newGen(name string) *graphGen { return &graphGen{g: &model.Graph{Name: name}} }

// weight adds an initializer and returns its name.
func (b *graphGen) weight(name string, shape ...int64) string {
	b.g.Initializers = append(b.g.Initializers, &model.Tensor{Name: name, DType: "float32", Shape: shape})
	return name
}

// op adds a node with one output and returns the output's name.
func (b *graphGen) op(name, opType string, inputs ...string) string {
	out := name + "_output_0"
	if name == "" {
		b.next++
		out = "t" + strconv.Itoa(b.next)
	}
	b.g.Nodes = append(b.g.Nodes, &model.Node{Name: name, OpType: opType, Inputs: inputs, Outputs: []string{out}})
	return out
}

// info records a value's type.
func (b *graphGen) info(name string, dt model.DType, shape model.Shape) {
	b.g.ValueInfo = append(b.g.ValueInfo, &model.Value{Name: name, Type: &model.Type{Kind: model.KindTensor, DType: dt, Shape: shape}})
}

func sym(s string) model.Dim { return model.Dim{Param: s} }

// pad appends Relu nodes until the graph has n nodes and returns the last
// value.
func (b *graphGen) pad(x string, n int, scope string) string {
	for i := 0; len(b.g.Nodes) < n; i++ {
		x = b.op(scope+"/pad"+strconv.Itoa(i)+"/Relu", "Relu", x)
	}
	return x
}

// GenTransformer returns a synthetic decoder-only transformer graph of
// exactly nodes nodes (at least 40), named as PyTorch's ONNX exporter names
// them ("/model/layers.3/self_attn/q_proj/MatMul"), with weights as
// initializers, value types on the residual stream, and an attention mask
// and rotary tables shared by every layer. For layout benchmarks and tests.
func GenTransformer(nodes int) *model.Graph {
	const perLayer, tail = 35, 2
	nodes = max(nodes, 40)
	b := newGen("transformer")
	seq := model.Shape{model.IntDim(1), sym("seq")}
	hidden := model.Shape{model.IntDim(1), sym("seq"), model.IntDim(64)}
	b.g.Inputs = []*model.Value{
		{Name: "input_ids", Type: &model.Type{Kind: model.KindTensor, DType: "int64", Shape: seq}},
		{Name: "attention_mask", Type: &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.Shape{model.IntDim(1), model.IntDim(1), sym("seq"), sym("seq")}}},
		{Name: "cos", Type: &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.Shape{sym("seq"), model.IntDim(16)}}},
		{Name: "sin", Type: &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.Shape{sym("seq"), model.IntDim(16)}}},
	}
	x := b.op("/model/embed_tokens/Gather", "Gather", b.weight("model.embed_tokens.weight", 32000, 64), "input_ids")
	b.info(x, "float32", hidden)
	shape := b.weight("shape_heads", 4)
	for l := 0; len(b.g.Nodes)+perLayer+tail <= nodes; l++ {
		p := "/model/layers." + strconv.Itoa(l)
		w := "model.layers." + strconv.Itoa(l)
		ln := b.op(p+"/input_layernorm/LayerNormalization", "LayerNormalization", x, b.weight(w+".input_layernorm.weight", 64), b.weight(w+".input_layernorm.bias", 64))
		proj := func(name string) string {
			return b.op(p+"/self_attn/"+name+"/MatMul", "MatMul", ln, b.weight(w+".self_attn."+name+".weight", 64, 64))
		}
		rotary := func(t, name string) string {
			a := b.op(p+"/self_attn/rotary_"+name+"/Mul", "Mul", t, "cos")
			n := b.op(p+"/self_attn/rotary_"+name+"/Neg", "Neg", t)
			c := b.op(p+"/self_attn/rotary_"+name+"/Mul_1", "Mul", n, "sin")
			return b.op(p+"/self_attn/rotary_"+name+"/Add", "Add", a, c)
		}
		heads := func(t, name string) string {
			r := b.op(p+"/self_attn/"+name+"/Reshape", "Reshape", t, shape)
			return b.op(p+"/self_attn/"+name+"/Transpose", "Transpose", r)
		}
		q := heads(rotary(proj("q_proj"), "q"), "q")
		k := heads(rotary(proj("k_proj"), "k"), "k")
		v := heads(proj("v_proj"), "v")
		s := b.op(p+"/self_attn/MatMul", "MatMul", q, k)
		s = b.op(p+"/self_attn/Div", "Div", s, b.weight(w+".self_attn.scale"))
		s = b.op(p+"/self_attn/Add", "Add", s, "attention_mask")
		s = b.op(p+"/self_attn/Softmax", "Softmax", s)
		o := b.op(p+"/self_attn/MatMul_1", "MatMul", s, v)
		o = b.op(p+"/self_attn/Transpose", "Transpose", o)
		o = b.op(p+"/self_attn/Reshape", "Reshape", o, shape)
		o = b.op(p+"/self_attn/o_proj/MatMul", "MatMul", o, b.weight(w+".self_attn.o_proj.weight", 64, 64))
		x = b.op(p+"/Add", "Add", x, o)
		b.info(x, "float32", hidden)
		ln2 := b.op(p+"/post_attention_layernorm/LayerNormalization", "LayerNormalization", x, b.weight(w+".post_attention_layernorm.weight", 64), b.weight(w+".post_attention_layernorm.bias", 64))
		gate := b.op(p+"/mlp/gate_proj/MatMul", "MatMul", ln2, b.weight(w+".mlp.gate_proj.weight", 64, 256))
		up := b.op(p+"/mlp/up_proj/MatMul", "MatMul", ln2, b.weight(w+".mlp.up_proj.weight", 64, 256))
		sg := b.op(p+"/mlp/act_fn/Sigmoid", "Sigmoid", gate)
		act := b.op(p+"/mlp/act_fn/Mul", "Mul", gate, sg)
		mm := b.op(p+"/mlp/Mul", "Mul", act, up)
		down := b.op(p+"/mlp/down_proj/MatMul", "MatMul", mm, b.weight(w+".mlp.down_proj.weight", 256, 64))
		x = b.op(p+"/Add_1", "Add", x, down)
		b.info(x, "float32", hidden)
	}
	x = b.pad(x, nodes-tail, "/model")
	x = b.op("/model/norm/LayerNormalization", "LayerNormalization", x, b.weight("model.norm.weight", 64), b.weight("model.norm.bias", 64))
	logits := b.op("/lm_head/MatMul", "MatMul", x, b.weight("lm_head.weight", 64, 32000))
	b.g.Outputs = []*model.Value{{Name: logits, Type: &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.Shape{model.IntDim(1), sym("seq"), model.IntDim(32000)}}}}
	return b.g
}

// GenResNet returns a synthetic ResNet-like graph of exactly nodes nodes
// (at least 20): a stem, bottleneck blocks with residual Adds (a projection
// Conv on the first block of each stage) and a classifier head, named as
// PyTorch's exporter names them ("/layer2/layer2.0/conv1/Conv").
func GenResNet(nodes int) *model.Graph {
	const tail = 3
	nodes = max(nodes, 20)
	b := newGen("resnet")
	b.g.Inputs = []*model.Value{{Name: "input", Type: &model.Type{Kind: model.KindTensor, DType: "float32",
		Shape: model.Shape{sym("N"), model.IntDim(3), model.IntDim(224), model.IntDim(224)}}}}
	conv := func(p, name string, x string, cout, cin, k int64) string {
		return b.op(p+"/"+name+"/Conv", "Conv", x, b.weight(p[1:]+"."+name+".weight", cout, cin, k, k), b.weight(p[1:]+"."+name+".bias", cout))
	}
	x := conv("/stem", "conv1", "input", 64, 3, 7)
	x = b.op("/stem/relu/Relu", "Relu", x)
	x = b.op("/stem/maxpool/MaxPool", "MaxPool", x)
	ch := int64(64)
	for stage, block := 1, 0; ; block++ {
		if block == 3+stage {
			stage, block = stage+1, 0
		}
		first := block == 0
		cost := 7
		if first {
			cost = 8
		}
		if len(b.g.Nodes)+cost+tail > nodes {
			break
		}
		p := "/layer" + strconv.Itoa(stage) + "/layer" + strconv.Itoa(stage) + "." + strconv.Itoa(block)
		in := x
		out := ch * 4
		y := b.op(p+"/relu/Relu", "Relu", conv(p, "conv1", in, ch, out, 1))
		y = b.op(p+"/relu_1/Relu", "Relu", conv(p, "conv2", y, ch, ch, 3))
		y = conv(p, "conv3", y, out, ch, 1)
		skip := in
		if first {
			skip = conv(p, "downsample.0", in, out, out, 1)
		}
		x = b.op(p+"/Add", "Add", y, skip)
		x = b.op(p+"/relu_2/Relu", "Relu", x)
		b.info(x, "float32", model.Shape{sym("N"), model.IntDim(out), model.IntDim(56), model.IntDim(56)})
	}
	x = b.pad(x, nodes-tail, "")
	x = b.op("/avgpool/GlobalAveragePool", "GlobalAveragePool", x)
	x = b.op("/Flatten", "Flatten", x)
	x = b.op("/fc/Gemm", "Gemm", x, b.weight("fc.weight", 1000, 2048), b.weight("fc.bias", 1000))
	b.g.Outputs = []*model.Value{{Name: x, Type: &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.Shape{sym("N"), model.IntDim(1000)}}}}
	return b.g
}
