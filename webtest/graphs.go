// Package webtest drives the browser viewer (assets/web) end to end in
// headless Chromium with chromedp. It also holds the generators of the test
// graphs (ResNet-like, transformer of any size) and of the bundled sample
// model assets/web/sample.onnx.
package webtest

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
)

// builder accumulates a graph with scoped names and typed values.
type builder struct {
	g     *model.Graph
	types map[string]*model.Type
}

func newBuilder(name string) *builder {
	return &builder{g: &model.Graph{Name: name}, types: map[string]*model.Type{}}
}

func ftype(shape ...int64) *model.Type {
	return &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.ShapeOf(shape)}
}

func (b *builder) input(name string, t *model.Type) string {
	b.g.Inputs = append(b.g.Inputs, &model.Value{Name: name, Type: t})
	b.types[name] = t
	return name
}

func (b *builder) output(name string) {
	b.g.Outputs = append(b.g.Outputs, &model.Value{Name: name, Type: b.types[name]})
}

func (b *builder) weight(name string, shape ...int64) string {
	b.g.Initializers = append(b.g.Initializers, &model.Tensor{Name: name, DType: "float32", Shape: shape})
	return name
}

// op adds a node named scope+"/"+op with one output of type out.
func (b *builder) op(scope, op string, out *model.Type, attrs []model.Attribute, inputs ...string) string {
	name := scope + "/" + op
	for i := 1; b.has(name); i++ {
		name = fmt.Sprintf("%s/%s_%d", scope, op, i)
	}
	o := name + "_output_0"
	b.g.Nodes = append(b.g.Nodes, &model.Node{Name: name, OpType: op, Inputs: inputs, Outputs: []string{o}, Attrs: attrs})
	if out != nil {
		b.types[o] = out
		b.g.ValueInfo = append(b.g.ValueInfo, &model.Value{Name: o, Type: out})
	}
	return o
}

func (b *builder) has(name string) bool {
	for _, n := range b.g.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

func ints(name string, v ...int64) model.Attribute {
	return model.Attribute{Name: name, Type: model.AttrInts, Ints: v}
}

func intAttr(name string, v int64) model.Attribute {
	return model.Attribute{Name: name, Type: model.AttrInt, Int: v}
}

func floatAttr(name string, v float64) model.Attribute {
	return model.Attribute{Name: name, Type: model.AttrFloat, Float: v}
}

// ResNetLike returns a ResNet-50-shaped model: stem, 16 bottleneck blocks
// in 4 stages with projection shortcuts, pooling and a classifier.
func ResNetLike() *model.Model {
	b := newBuilder("resnet_like")
	x := b.input("input", ftype(1, 3, 224, 224))
	conv := func(scope, in string, cin, cout, k, stride, hw int64) string {
		w := b.weight(scope+".weight", cout, cin, k, k)
		return b.op(scope, "Conv", ftype(1, cout, hw, hw), []model.Attribute{
			ints("kernel_shape", k, k), ints("strides", stride, stride), ints("pads", k/2, k/2, k/2, k/2), ints("dilations", 1, 1), intAttr("group", 1),
		}, in, w, b.weight(scope+".bias", cout))
	}
	relu := func(scope, in string, c, hw int64) string { return b.op(scope, "Relu", ftype(1, c, hw, hw), nil, in) }
	x = conv("/conv1", x, 3, 64, 7, 2, 112)
	x = relu("/relu", x, 64, 112)
	x = b.op("/maxpool", "MaxPool", ftype(1, 64, 56, 56), []model.Attribute{ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)}, x)
	cin, hw := int64(64), int64(56)
	for s, blocks := range []int{3, 4, 6, 3} {
		width := int64(64) << s
		for k := 0; k < blocks; k++ {
			scope := fmt.Sprintf("/layer%d/layer%d.%d", s+1, s+1, k)
			stride := int64(1)
			if k == 0 && s > 0 {
				stride = 2
				hw /= 2
			}
			in := x
			y := conv(scope+"/conv1", in, cin, width, 1, 1, hw*stride)
			y = relu(scope+"/relu", y, width, hw*stride)
			y = conv(scope+"/conv2", y, width, width, 3, stride, hw)
			y = relu(scope+"/relu_1", y, width, hw)
			y = conv(scope+"/conv3", y, width, width*4, 1, 1, hw)
			short := in
			if k == 0 {
				short = conv(scope+"/downsample/downsample.0", in, cin, width*4, 1, stride, hw)
			}
			x = b.op(scope, "Add", ftype(1, width*4, hw, hw), nil, y, short)
			x = relu(scope+"/relu_2", x, width*4, hw)
			cin = width * 4
		}
	}
	x = b.op("/avgpool", "GlobalAveragePool", ftype(1, 2048, 1, 1), nil, x)
	x = b.op("", "Flatten", ftype(1, 2048), []model.Attribute{intAttr("axis", 1)}, x)
	x = b.op("/fc", "Gemm", ftype(1, 1000), []model.Attribute{floatAttr("alpha", 1), floatAttr("beta", 1), intAttr("transB", 1)}, x, b.weight("fc.weight", 1000, 2048), b.weight("fc.bias", 1000))
	b.types["output"] = b.types[x]
	b.g.Nodes[len(b.g.Nodes)-1].Outputs[0] = "output"
	b.output("output")
	return &model.Model{Format: "onnx", Producer: "modelpeek webtest", Version: "8", Opsets: []model.Opset{{Version: 17}}, Graph: b.g}
}

// transformerBlockNodes is the number of nodes one Transformer block adds.
const transformerBlockNodes = 35

// Transformer returns a BERT-like encoder with about n nodes (35 per block,
// plus an embedding and a head), hidden size 768, sequence length 128.
func Transformer(n int) *model.Model {
	b := newBuilder(fmt.Sprintf("transformer_%d", n))
	const seq, hid, heads = 128, 768, 12
	h := ftype(1, seq, hid)
	x := b.input("input_ids", &model.Type{Kind: model.KindTensor, DType: "int64", Shape: model.Shape{{Param: "batch"}, model.IntDim(seq)}})
	mask := b.input("attention_mask", ftype(1, 1, 1, seq))
	x = b.op("/embeddings", "Gather", h, []model.Attribute{intAttr("axis", 0)}, b.weight("embeddings.word_embeddings.weight", 30522, hid), x)
	blocks := (n - 3) / transformerBlockNodes
	if blocks < 1 {
		blocks = 1
	}
	ln := func(scope, in string) string {
		return b.op(scope, "LayerNormalization", h, []model.Attribute{intAttr("axis", -1), floatAttr("epsilon", 1e-5)}, in, b.weight(scope+".weight", hid), b.weight(scope+".bias", hid))
	}
	lin := func(scope, in string, k, m int64) string {
		y := b.op(scope, "MatMul", ftype(1, seq, m), nil, in, b.weight(scope+".weight", k, m))
		return b.op(scope, "Add", ftype(1, seq, m), nil, y, b.weight(scope+".bias", m))
	}
	hd := ftype(1, heads, seq, hid/heads)
	shape := b.weight("shape_heads", 4)
	shapeOut := b.weight("shape_out", 3)
	for l := 0; l < blocks; l++ {
		s := fmt.Sprintf("/encoder/layer.%d", l)
		res := x
		y := ln(s+"/attention/ln", x)
		split := func(name string) string {
			v := lin(s+"/attention/"+name, y, hid, hid)
			v = b.op(s+"/attention/"+name, "Reshape", ftype(1, seq, heads, hid/heads), nil, v, shape)
			return b.op(s+"/attention/"+name, "Transpose", hd, []model.Attribute{ints("perm", 0, 2, 1, 3)}, v)
		}
		q, k, v := split("query"), split("key"), split("value")
		kt := b.op(s+"/attention", "Transpose", ftype(1, heads, hid/heads, seq), []model.Attribute{ints("perm", 0, 1, 3, 2)}, k)
		sc := b.op(s+"/attention", "MatMul", ftype(1, heads, seq, seq), nil, q, kt)
		sc = b.op(s+"/attention", "Div", ftype(1, heads, seq, seq), nil, sc, b.weight(s+"/attention.scale"))
		sc = b.op(s+"/attention", "Add", ftype(1, heads, seq, seq), nil, sc, mask)
		sc = b.op(s+"/attention", "Softmax", ftype(1, heads, seq, seq), []model.Attribute{intAttr("axis", -1)}, sc)
		ctx := b.op(s+"/attention", "MatMul", hd, nil, sc, v)
		ctx = b.op(s+"/attention/context", "Transpose", ftype(1, seq, heads, hid/heads), []model.Attribute{ints("perm", 0, 2, 1, 3)}, ctx)
		ctx = b.op(s+"/attention/context", "Reshape", h, nil, ctx, shapeOut)
		o := lin(s+"/attention/output", ctx, hid, hid)
		x = b.op(s+"/attention", "Add", h, nil, o, res)
		res = x
		y = ln(s+"/ffn/ln", x)
		y = lin(s+"/ffn/intermediate", y, hid, 4*hid)
		i4 := ftype(1, seq, 4*hid)
		g := b.op(s+"/ffn/gelu", "Div", i4, nil, y, b.weight(s+"/ffn/gelu.sqrt2"))
		g = b.op(s+"/ffn/gelu", "Erf", i4, nil, g)
		g = b.op(s+"/ffn/gelu", "Add", i4, nil, g, b.weight(s+"/ffn/gelu.one"))
		g = b.op(s+"/ffn/gelu", "Mul", i4, nil, y, g)
		g = b.op(s+"/ffn/gelu", "Mul", i4, nil, g, b.weight(s+"/ffn/gelu.half"))
		y = lin(s+"/ffn/output", g, 4*hid, hid)
		x = b.op(s+"/ffn", "Add", h, nil, y, res)
	}
	x = ln("/final_ln", x)
	x = b.op("/pooler", "ReduceMean", ftype(1, hid), []model.Attribute{ints("axes", 1), intAttr("keepdims", 0)}, x)
	b.types["output"] = b.types[x]
	b.g.Nodes[len(b.g.Nodes)-1].Outputs[0] = "output"
	b.output("output")
	return &model.Model{Format: "onnx", Producer: "modelpeek webtest", Version: "8", Opsets: []model.Opset{{Version: 17}}, Graph: b.g}
}
