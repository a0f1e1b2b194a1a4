package hier

import (
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

func TestCompare(t *testing.T) {
	names := []string{"layers.10.w", "layers.2.w", "layers.1.w", "a", "layers.02.w", "b10", "b9", "layers.1"}
	slices.SortFunc(names, cmp)
	want := []string{"a", "b9", "b10", "layers.1", "layers.1.w", "layers.02.w", "layers.2.w", "layers.10.w"}
	if !slices.Equal(names, want) {
		t.Fatalf("natural order\n got %q\nwant %q", names, want)
	}
	// Very long digit runs must not overflow anything.
	if !Less("x99999999999999999999999", "x100000000000000000000000") {
		t.Fatal("long digit runs compare by value")
	}
}

func TestBuild(t *testing.T) {
	var ts []*model.Tensor
	for _, n := range []string{
		"model.layers.10.self_attn.q_proj.weight",
		"model.layers.2.self_attn.q_proj.bias",
		"model.layers.2.self_attn.q_proj.weight",
		"model.layers.2.mlp.0.weight",
		"wte",
		"wte.weight", // module "wte" holds both; its output must not reuse "wte"
		"0.weight",
		"lm_head.weight",
	} {
		ts = append(ts, &model.Tensor{Name: n, DType: "float32", Shape: []int64{2}})
	}
	g := Build(ts, Options{LeafOp: "Array"})
	var names, ops []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
		ops = append(ops, n.OpType)
	}
	wantNames := []string{"0", "lm_head", "model.layers.2.mlp.0", "model.layers.2.self_attn.q_proj", "model.layers.10.self_attn.q_proj", "wte"}
	wantOps := []string{"Array", "lm_head", "mlp", "q_proj", "q_proj", "Array"}
	if !slices.Equal(names, wantNames) || !slices.Equal(ops, wantOps) {
		t.Fatalf("nodes %q ops %q, want %q %q", names, ops, wantNames, wantOps)
	}
	q := g.Nodes[3]
	if !slices.Equal(q.Inputs, []string{"model.layers.2.mlp.0", "model.layers.2.self_attn.q_proj.bias", "model.layers.2.self_attn.q_proj.weight"}) {
		t.Fatalf("q_proj inputs %q", q.Inputs)
	}
	if len(g.Initializers) != len(ts) {
		t.Fatalf("%d initializers, want %d", len(g.Initializers), len(ts))
	}
	seen := map[string]bool{}
	for _, tt := range g.Initializers {
		seen[tt.Name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if seen[o] {
				t.Fatalf("output %q reuses a tensor name", o)
			}
			seen[o] = true
		}
	}
}

func TestKeepOrder(t *testing.T) {
	var ts []*model.Tensor
	for _, n := range []string{"weights", "bias", "step", "a.2", "a.10", "a.1"} {
		ts = append(ts, &model.Tensor{Name: n})
	}
	g := Build(ts, Options{KeepOrder: true})
	var names []string
	for _, tt := range g.Initializers {
		names = append(names, tt.Name)
	}
	if want := []string{"weights", "bias", "step", "a.2", "a.10", "a.1"}; !slices.Equal(names, want) {
		t.Fatalf("order %q, want %q", names, want)
	}
}
