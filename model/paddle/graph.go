package paddle

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxBlockDepth bounds how deeply sub-blocks may nest.
const maxBlockDepth = 64

// dtypes maps VarType.Type element types to numpy names.
var dtypes = map[int64]model.DType{
	0: "bool", 1: "int16", 2: "int32", 3: "int64", 4: "float16", 5: "float32", 6: "float64",
	19: "uint64", 20: "uint8", 21: "int8", 22: "bfloat16", 23: "complex64", 24: "complex128",
}

// builder turns a program's blocks into graphs; every block becomes a
// graph at most once, so shared or cyclic references cannot multiply work.
type builder struct {
	prog  *program
	byIdx map[int64]*block
	used  map[int64]bool
	warn  []string
}

func newBuilder(p *program) *builder {
	b := &builder{prog: p, byIdx: map[int64]*block{}, used: map[int64]bool{}}
	for i, blk := range p.blocks {
		// Blocks are indexed by position; idx normally agrees.
		b.byIdx[int64(i)] = blk
	}
	return b
}

// build returns the main graph (block 0) and the graphs of blocks that no
// op refers to.
func (b *builder) build() (*model.Graph, []*model.Graph, error) {
	if len(b.prog.blocks) == 0 {
		return nil, nil, fmt.Errorf("the program has no blocks")
	}
	b.used[0] = true
	main, err := b.graph(b.prog.blocks[0], 0)
	if err != nil {
		return nil, nil, err
	}
	main.Inputs, main.Outputs = feedFetch(b.prog.blocks[0])
	main.Initializers = weights(b.prog.blocks[0])
	var orphans []*model.Graph
	for i, blk := range b.prog.blocks {
		if b.used[int64(i)] {
			continue
		}
		b.used[int64(i)] = true
		g, err := b.graph(blk, 1)
		if err != nil {
			return nil, nil, err
		}
		orphans = append(orphans, g)
	}
	return main, orphans, nil
}

// graph converts one block; depth counts nesting of sub-blocks.
func (b *builder) graph(blk *block, depth int) (*model.Graph, error) {
	if depth > maxBlockDepth {
		return nil, fmt.Errorf("sub-blocks nest more than %d deep", maxBlockDepth)
	}
	g := &model.Graph{Name: fmt.Sprintf("block %d", blk.idx), Inputs: []*model.Value{}, Outputs: []*model.Value{}}
	g.Nodes = make([]*model.Node, 0, len(blk.ops))
	for _, op := range blk.ops {
		n, err := b.node(op, depth)
		if err != nil {
			return nil, err
		}
		g.Nodes = append(g.Nodes, n)
	}
	for _, v := range blk.vars {
		if v.hasTensor && !v.persistable {
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: v.name, Type: tensorType(v)})
		}
	}
	return g, nil
}

// node converts one op; BLOCK attributes become subgraphs.
func (b *builder) node(op *opDesc, depth int) (*model.Node, error) {
	n := &model.Node{OpType: op.typ, Inputs: args(op.inputs), Outputs: args(op.outputs), Category: category(op.typ)}
	switch {
	case op.typ == "fetch" && len(n.Inputs) > 0:
		n.Name = n.Inputs[0] // every fetch writes the same "fetch" list
	case len(n.Outputs) > 0:
		n.Name = n.Outputs[0]
	}
	n.Attrs = op.attrs
	for _, ref := range op.blocks {
		a := &n.Attrs[ref.attr]
		var ints []int64
		for _, idx := range ref.blocks {
			blk, ok := b.byIdx[idx]
			if !ok || b.used[idx] {
				// Missing or already shown elsewhere: keep the index.
				ints = append(ints, idx)
				continue
			}
			b.used[idx] = true
			g, err := b.graph(blk, depth+1)
			if err != nil {
				return nil, err
			}
			boundary(g, blk, n.Outputs)
			a.Graphs = append(a.Graphs, g)
		}
		if len(a.Graphs) == 0 {
			a.Type, a.Ints, a.Doc = model.AttrInts, nonNil(ints), "block index"
		}
	}
	n.Attrs = append(n.Attrs, slotAttrs(op)...)
	return n, nil
}

// slotAttrs records which named slot (X, Filter, Out, ...) each input and
// output fills, as "input slots"/"output slots" lists of "Slot: vars".
func slotAttrs(op *opDesc) []model.Attribute {
	var out []model.Attribute
	for _, side := range []struct {
		name string
		vars []opVar
	}{{"input slots", op.inputs}, {"output slots", op.outputs}} {
		var s []string
		for _, v := range side.vars {
			s = append(s, v.param+": "+strings.Join(v.args, ", "))
		}
		if len(s) > 0 {
			out = append(out, model.Attribute{Name: side.name, Type: model.AttrStrings, Strings: s, Doc: "operator slots"})
		}
	}
	return out
}

func args(vars []opVar) []string {
	out := []string{}
	for _, v := range vars {
		out = append(out, v.args...)
	}
	return out
}

// feedFetch returns the graph inputs (Out of feed ops) and outputs (X of
// fetch ops), each ordered by the op's col attribute.
func feedFetch(blk *block) (ins, outs []*model.Value) {
	vars := map[string]*varDesc{}
	for _, v := range blk.vars {
		if _, dup := vars[v.name]; !dup {
			vars[v.name] = v
		}
	}
	type slot struct {
		col  int64
		name string
	}
	var feeds, fetches []slot
	for _, op := range blk.ops {
		switch op.typ {
		case "feed":
			for _, name := range slotArgs(op.outputs, "Out") {
				feeds = append(feeds, slot{colOf(op), name})
			}
		case "fetch":
			for _, name := range slotArgs(op.inputs, "X") {
				fetches = append(fetches, slot{colOf(op), name})
			}
		}
	}
	byCol := func(a, b slot) int { return cmp.Compare(a.col, b.col) }
	slices.SortStableFunc(feeds, byCol)
	slices.SortStableFunc(fetches, byCol)
	value := func(s slot) *model.Value {
		v := &model.Value{Name: s.name}
		if d := vars[s.name]; d != nil {
			v.Type = tensorType(d)
		}
		return v
	}
	ins, outs = []*model.Value{}, []*model.Value{}
	for _, s := range feeds {
		ins = append(ins, value(s))
	}
	for _, s := range fetches {
		outs = append(outs, value(s))
	}
	return ins, outs
}

func slotArgs(vars []opVar, param string) []string {
	var out []string
	for _, v := range vars {
		if v.param == param {
			out = append(out, v.args...)
		}
	}
	return out
}

func colOf(op *opDesc) int64 {
	for _, a := range op.attrs {
		if a.Name == "col" && a.Type == model.AttrInt {
			return a.Int
		}
	}
	return 0
}

// tensorType is a var's type: dtype and dims, -1 dims unknown.
func tensorType(v *varDesc) *model.Type {
	t := &model.Type{Kind: model.KindTensor, DType: dtypes[v.dtype]}
	if !v.hasTensor {
		return t
	}
	t.Shape = make(model.Shape, len(v.dims))
	for i, d := range v.dims {
		if d >= 0 {
			t.Shape[i] = model.IntDim(d)
		}
	}
	return t
}

// weights are the persistable LoD tensors of block 0 other than feed and
// fetch, in stored order: what a .pdiparams file holds.
func weights(blk *block) []*model.Tensor {
	var ts []*model.Tensor
	for _, v := range blk.vars {
		if !isWeight(v) {
			continue
		}
		ts = append(ts, &model.Tensor{Name: v.name, DType: dtypes[v.dtype], Shape: append([]int64{}, v.dims...)})
	}
	return ts
}

func isWeight(v *varDesc) bool {
	return v.persistable && v.kind == typeLoDTensor && v.name != "feed" && v.name != "fetch"
}

// category gives display hints for Paddle op types the viewer would not
// recognise by name.
func category(op string) string {
	switch op {
	case "feed", "fetch":
		return "data"
	case "conditional_block", "while", "select_input", "select_output", "recurrent":
		return "control"
	case "batch_norm", "layer_norm", "instance_norm", "group_norm", "sync_batch_norm":
		return "normalization"
	case "pool2d", "pool3d", "max_pool2d_with_index", "adaptive_pool2d":
		return "pooling"
	case "conv2d", "depthwise_conv2d", "conv2d_transpose", "conv3d", "matmul", "matmul_v2", "mul", "fc",
		"lookup_table", "lookup_table_v2", "lstm", "gru", "rnn", "multihead_matmul":
		return "layer"
	case "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "gelu", "swish", "hard_swish",
		"hard_sigmoid", "prelu", "elu", "silu", "mish", "log_softmax":
		return "activation"
	case "reshape", "reshape2", "transpose", "transpose2", "flatten", "flatten2", "flatten_contiguous_range",
		"squeeze", "squeeze2", "unsqueeze", "unsqueeze2", "concat", "split", "slice", "gather", "cast", "shape",
		"stack", "expand", "expand_v2", "tile", "pad", "pad2d", "pad3d", "fill_constant", "assign":
		return "shape"
	}
	return ""
}

// boundary gives a sub-block graph its implicit interface: the values it
// reads but does not produce are its inputs (from the enclosing blocks),
// and the values it produces that the control-flow op outputs are its
// outputs.
func boundary(g *model.Graph, blk *block, opOutputs []string) {
	produced := map[string]bool{}
	seen := map[string]bool{}
	types := map[string]*varDesc{}
	for _, v := range blk.vars {
		types[v.name] = v
	}
	value := func(name string) *model.Value {
		v := &model.Value{Name: name}
		if d := types[name]; d != nil {
			v.Type = tensorType(d)
		}
		return v
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if !produced[in] && !seen[in] && in != "" {
				seen[in] = true
				g.Inputs = append(g.Inputs, value(in))
			}
		}
		for _, out := range n.Outputs {
			produced[out] = true
		}
	}
	for _, out := range opOutputs {
		if produced[out] {
			g.Outputs = append(g.Outputs, value(out))
		}
	}
}
