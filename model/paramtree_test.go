package model_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// TestParamTreeShapes builds the map of a small graph: scopes from node
// names, a node with two tensors as a cell of its own, a single-tensor node
// as a leaf, a tied tensor counted once, an unconsumed tensor placed by
// its name.
func TestParamTreeShapes(t *testing.T) {
	w := func(name string, dt model.DType, shape ...int64) *model.Tensor {
		return &model.Tensor{Name: name, DType: dt, Shape: shape}
	}
	g := &model.Graph{
		Initializers: []*model.Tensor{
			w("embd.weight", "float16", 10, 4), w("blk.0.q.weight", "float32", 4, 4),
			w("blk.0.q.bias", "float32", 4), w("blk.0.norm.weight", "float32", 4),
			w("extra.step", "int64"),
		},
		Nodes: []*model.Node{
			{Name: "embd", Inputs: []string{"ids", "embd.weight"}},
			{Name: "blk.0.q", Inputs: []string{"x", "blk.0.q.weight", "blk.0.q.bias"}},
			{Name: "blk.0.norm", Inputs: []string{"x", "blk.0.norm.weight"}},
			{Name: "out", Inputs: []string{"x", "embd.weight"}},
		},
	}
	root := model.ParamTree(g)
	if root.Params != 40+16+4+4+1 || root.Bytes != 80+64+16+16+8 {
		t.Fatalf("root: %d params, %d bytes", root.Params, root.Bytes)
	}
	if root.DTypes["float16"] != 40 || root.DTypes["float32"] != 24 || root.DTypes["int64"] != 1 {
		t.Fatalf("dtype mix %v", root.DTypes)
	}
	got := ""
	var walk func(c *model.ParamGroup, depth int)
	walk = func(c *model.ParamGroup, depth int) {
		got += fmt.Sprintf("%d %s %s node=%d tensor=%s params=%d\n", depth, c.Name, c.Path, c.Node, c.Tensor, c.Params)
		for _, k := range c.Children {
			walk(k, depth+1)
		}
	}
	walk(root, 0)
	want := `0   node=-1 tensor= params=65
1 embd embd node=0 tensor=embd.weight params=40
1 blk blk node=-1 tensor= params=24
2 0 blk.0 node=-1 tensor= params=24
3 q blk.0.q node=1 tensor= params=20
4 weight blk.0.q.weight node=1 tensor=blk.0.q.weight params=16
4 bias blk.0.q.bias node=1 tensor=blk.0.q.bias params=4
3 norm blk.0.norm node=2 tensor=blk.0.norm.weight params=4
1 extra extra node=-1 tensor= params=1
2 step extra.step node=-1 tensor=extra.step params=1
`
	if got != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
}

// TestParamTreeCorpus builds the map of every weight-format corpus file
// and of the ONNX and TFLite files up to 64 MB: the root holds every
// tensor's parameters once, and every cell sums its children.
func TestParamTreeCorpus(t *testing.T) {
	for _, e := range testenv.ManifestEntries(t, "gguf", "safetensors", "safetensors-index", "pytorch", "numpy", "onnx", "tflite") {
		if !e.Valid() || e.Bytes > 64<<20 {
			continue
		}
		m, err := all.Registry().Open(context.Background(), e.Abs())
		if err != nil || m.Graph == nil {
			continue
		}
		root := model.ParamTree(m.Graph)
		var want int64
		seen := map[string]bool{}
		for _, tn := range m.Graph.Initializers {
			if n, ok := model.NumElements(tn.Shape); ok && !seen[tn.Name] {
				want += n
			}
			seen[tn.Name] = true
		}
		if root.Params != want {
			t.Errorf("%s: map holds %d parameters, the tensors %d", e.Name(), root.Params, want)
		}
		if msg := sums(root); msg != "" {
			t.Errorf("%s: %s", e.Name(), msg)
		}
	}
}

// sums checks every inner cell's sizes are its children's sums.
func sums(c *model.ParamGroup) string {
	if len(c.Children) == 0 {
		return ""
	}
	var p, b int64
	for _, k := range c.Children {
		p += k.Params
		b += k.Bytes
		if msg := sums(k); msg != "" {
			return msg
		}
	}
	if p != c.Params || b != c.Bytes {
		return fmt.Sprintf("cell %q: %d params, %d bytes; its children %d, %d", c.Path, c.Params, c.Bytes, p, b)
	}
	return ""
}
