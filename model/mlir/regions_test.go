package mlir

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// openCorpus opens a corpus file of the mlir manifest.
func openCorpus(t *testing.T, rel string) *model.Model {
	t.Helper()
	m, err := Open(context.Background(), filepath.Join(testenv.Corpus(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// nodeOf returns the first node of g with the op type.
func nodeOf(t *testing.T, g *model.Graph, opType string) *model.Node {
	t.Helper()
	for _, n := range g.Nodes {
		if n.OpType == opType {
			return n
		}
	}
	t.Fatalf("no %s node among %d", opType, len(g.Nodes))
	return nil
}

func names(vs []*model.Value) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

// TestWhileRegions checks that a generic stablehlo.while holds its cond
// and body regions as subgraphs whose inputs are the block arguments,
// whose ops read outer values under their outer names, and whose
// terminator produces the outputs.
func TestWhileRegions(t *testing.T) {
	m := openCorpus(t, "mlir/stablehlo/while_generic.mlir")
	if len(m.Graph.Nodes) != 4 {
		t.Fatalf("%d top-level nodes, want 4 (2 constants, while, return)", len(m.Graph.Nodes))
	}
	while := nodeOf(t, m.Graph, "stablehlo.while")
	subs := while.Subgraphs()
	if len(subs) != 2 || while.Attrs[len(while.Attrs)-2].Name != "cond" || !slices.Equal(while.Outputs, []string{"%2#0", "%2#1"}) {
		t.Fatalf("while outputs %q, %d subgraphs, attrs %+v", while.Outputs, len(subs), while.Attrs)
	}
	cond, body := subs[0], subs[1]
	if got := names(body.Inputs); len(got) != 2 || slices.Equal(got, names(cond.Inputs)) {
		t.Errorf("cond inputs %q, body inputs %q: want two each, kept apart", names(cond.Inputs), got)
	}
	if body.Inputs[1].Type == nil || body.Inputs[1].Type.DType != "bfloat16" {
		t.Errorf("body input type %+v", body.Inputs[1].Type)
	}
	if cmp := nodeOf(t, cond, "stablehlo.compare"); !slices.Equal(cmp.Inputs, []string{cond.Inputs[0].Name, "%1"}) {
		t.Errorf("compare reads %q, want the block argument and the outer %%1", cmp.Inputs)
	}
	if add := nodeOf(t, body, "stablehlo.add"); !slices.Equal(add.Inputs, []string{body.Inputs[0].Name, "%0"}) {
		t.Errorf("add reads %q", add.Inputs)
	}
	ret := nodeOf(t, body, "stablehlo.return")
	if !slices.Equal(ret.Outputs, []string{"0", "1"}) || len(body.Outputs) != 2 || body.Outputs[1].Type.DType != "bfloat16" {
		t.Errorf("return outputs %q, body outputs %+v", ret.Outputs, body.Outputs)
	}
}

// TestForIfRegions checks the pretty scf forms: loop variables named in
// the op header are the body's inputs, not the loop node's outputs.
func TestForIfRegions(t *testing.T) {
	m := openCorpus(t, "mlir/func/scf_regions.mlir")
	loop := nodeOf(t, m.Graph, "scf.for")
	if !slices.Equal(loop.Outputs, []string{"%0"}) || !slices.Equal(loop.Inputs, []string{"%c0", "%arg1", "%c1", "%cst"}) {
		t.Errorf("for reads %q, writes %q", loop.Inputs, loop.Outputs)
	}
	body := loop.Subgraphs()[0]
	if !slices.Equal(names(body.Inputs), []string{"%arg3", "%arg4"}) {
		t.Errorf("for body inputs %q", names(body.Inputs))
	}
	if ex := nodeOf(t, body, "tensor.extract"); !slices.Equal(ex.Inputs, []string{"%arg0", "%arg3"}) {
		t.Errorf("extract reads %q", ex.Inputs)
	}
	branch := nodeOf(t, m.Graph, "scf.if")
	subs := branch.Subgraphs()
	if len(subs) != 2 || branch.Attrs[len(branch.Attrs)-1].Name != "elseRegion" || len(subs[0].Inputs) != 0 {
		t.Fatalf("if subgraphs %+v", subs)
	}
	if mul := nodeOf(t, subs[0], "arith.mulf"); !slices.Equal(mul.Inputs, []string{"%arg0", "%cst_0"}) {
		t.Errorf("then-branch mulf reads %q", mul.Inputs)
	}
	if got := model.Summarize(m); got.Ops["scf.yield"] != 3 || got.Nodes != 17 {
		t.Errorf("summary: %d nodes, ops %v", got.Nodes, got.Ops)
	}
}

// TestRegionConstant checks that a constant inside a region is an
// initializer of its region's graph and still listed with the model's
// tensors.
func TestRegionConstant(t *testing.T) {
	src := `func.func @main(%c: i1) -> tensor<2xf32> {
  %0 = scf.if %c -> (tensor<2xf32>) {
    %w = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
    scf.yield %w : tensor<2xf32>
  } else {
    %z = arith.constant dense<0.0> : tensor<2xf32>
    scf.yield %z : tensor<2xf32>
  }
  return %0 : tensor<2xf32>
}
`
	m := openNoPanic(t, filepath.Join(t.TempDir(), "c.mlir"), []byte(src))
	if m == nil || len(m.Graph.Initializers) != 2 {
		t.Fatalf("model %+v", m)
	}
	then := m.Graph.Nodes[0].Subgraphs()[0]
	if len(then.Initializers) != 1 || then.Initializers[0].Name != "@main/%w" || then.Nodes[0].Inputs[0] != "@main/%w" {
		t.Errorf("then-branch initializers %+v, constant reads %q", then.Initializers, then.Nodes[0].Inputs)
	}
}

// TestReducerRegion checks a pretty stablehlo.reduce: the values its
// reducer names are the region's typed inputs, not the node's outputs.
func TestReducerRegion(t *testing.T) {
	src := `func.func @main(%x: tensor<4xf32>, %init: tensor<f32>) -> tensor<f32> {
  %0 = stablehlo.reduce(%x init: %init) across dimensions = [0] : (tensor<4xf32>, tensor<f32>) -> tensor<f32>
   reducer(%a: tensor<f32>, %b: tensor<f32>)  {
    %1 = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %1 : tensor<f32>
  }
  return %0 : tensor<f32>
}
`
	m := openNoPanic(t, filepath.Join(t.TempDir(), "r.mlir"), []byte(src))
	if m == nil {
		t.Fatal("not opened")
	}
	red := nodeOf(t, m.Graph, "stablehlo.reduce")
	if !slices.Equal(red.Inputs, []string{"%x", "%init"}) || !slices.Equal(red.Outputs, []string{"%0"}) {
		t.Errorf("reduce reads %q, writes %q", red.Inputs, red.Outputs)
	}
	body := red.Subgraphs()[0]
	if !slices.Equal(names(body.Inputs), []string{"%a", "%b"}) || body.Inputs[1].Type == nil || body.Inputs[1].Type.DType != "float32" {
		t.Errorf("reducer inputs %+v", body.Inputs)
	}
	if red.Attrs[len(red.Attrs)-1].Name != "body" || len(body.Outputs) != 1 {
		t.Errorf("attrs %+v, outputs %+v", red.Attrs, body.Outputs)
	}
}
