package shapeinfer

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// tangledGraph is a typed-input graph of n nodes whose values meet every
// case record tells apart: values typed by one node (most), values in the
// ValueInfo (typed, untyped, shape-less), graph outputs, values made by
// two nodes, by an op without a rule before or after a typed one, an
// initializer or an input made again by a node.
func tangledGraph(n int, seed uint64) *model.Graph {
	r := rand.New(rand.NewPCG(seed, 7))
	f32 := func(dims ...int64) *model.Type {
		s := make(model.Shape, len(dims))
		for i, d := range dims {
			s[i] = model.IntDim(d)
		}
		return &model.Type{Kind: model.KindTensor, DType: "float32", Shape: s}
	}
	g := &model.Graph{
		Inputs:       []*model.Value{{Name: "x", Type: f32(2, 8)}, {Name: "y"}},
		Initializers: []*model.Tensor{{Name: "w", DType: "float32", Shape: []int64{8}}},
	}
	vals := []string{"x", "w"}
	pick := func() string { return vals[r.IntN(len(vals))] }
	for i := range n {
		out := "v" + strconv.Itoa(i)
		switch k := r.IntN(40); {
		case k == 0 && i > 0:
			out = "v" + strconv.Itoa(r.IntN(i)) // made twice
		case k == 1:
			out = "w"
		case k == 2:
			out = "y"
		}
		op := []string{"Add", "Relu", "Mul", "Sigmoid", "MysteryOp", "Dropout"}[r.IntN(6)]
		outs := []string{out}
		if op == "Dropout" || op == "MysteryOp" && r.IntN(2) == 0 {
			outs = append(outs, out+"_mask", "") // a second output, and an empty one
		}
		g.Nodes = append(g.Nodes, &model.Node{Name: "n" + strconv.Itoa(i), OpType: op, Inputs: []string{pick(), pick()}, Outputs: outs})
		vals = append(vals, out)
		switch r.IntN(12) {
		case 0:
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: out, Type: f32(2, 8)})
		case 1:
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: out})
		case 2:
			g.ValueInfo = append(g.ValueInfo, &model.Value{Name: out, Type: &model.Type{Kind: model.KindTensor, DType: "float32"}})
		case 3:
			g.Outputs = append(g.Outputs, &model.Value{Name: out})
		}
	}
	return g
}

// recordBoth infers g twice, recording once with what was gathered and
// once by looking every value up, and returns both results.
func recordBoth(t *testing.T, mk func() *model.Graph) (gathered, lookedUp string, wasOn bool) {
	t.Helper()
	a, b := mk(), mk()
	ia := infer(context.Background(), a, Options{Opset: 17}, nil)
	wasOn = ia.rec.on
	ia.record(a)
	ib := infer(context.Background(), b, Options{Opset: 17}, nil)
	ib.rec.stop()
	ib.record(b)
	return typesOf(a), typesOf(b), wasOn
}

// TestRecordGatheredAsLookedUp: what the recorder gathers while the
// nodes are inferred records exactly what looking every value up does, in
// graphs where it follows the common case to the end and in those where
// it stops.
func TestRecordGatheredAsLookedUp(t *testing.T) {
	ons := 0
	for seed := range uint64(200) {
		n := 20 + int(seed%40)*7
		if seed%4 == 0 {
			n = 3 // few nodes: no name made twice, the gathered path to the end
		}
		got, want, on := recordBoth(t, func() *model.Graph { return tangledGraph(n, seed) })
		if on {
			ons++
		}
		if got != want {
			t.Fatalf("seed %d (%d nodes, gathered to the end %v): recorded\n%s\nwant\n%s", seed, n, on, got, want)
		}
	}
	// Each case alone, in a graph of a few nodes.
	x := &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.Shape{model.IntDim(4)}}
	node := func(op, out string) *model.Node {
		return &model.Node{OpType: op, Inputs: []string{"x", "x"}, Outputs: []string{out}}
	}
	for name, nodes := range map[string][]*model.Node{
		"an initializer made by an op without a rule": {node("Relu", "a"), node("MysteryOp", "w")},
		"an initializer made by a typed op":           {node("Relu", "a"), node("Relu", "w")},
		"untyped, then typed":                         {node("MysteryOp", "a"), node("Relu", "b"), node("Relu", "a")},
		"typed twice":                                 {node("Relu", "a"), node("Add", "b"), node("Relu", "a")},
		"a listed value made by an op without a rule": {node("MysteryOp", "listed"), node("Relu", "a")},
		"a listed value made twice":                   {node("Relu", "listed"), node("Relu", "a"), node("Add", "listed")},
		"a listed value made untyped, then typed":     {node("MysteryOp", "listed"), node("Relu", "listed")},
		"a value listed twice":                        {node("Relu", "twice"), node("Relu", "a")},
		"a listed graph output":                       {node("Relu", "out"), node("Relu", "a")},
		"a listed value made vague, then precise": {{OpType: "Relu", Inputs: []string{"y"}, Outputs: []string{"vague"}},
			node("Relu", "vague")},
		"a listed initializer made by an op without a rule": {node("MysteryOp", "w2"), node("Relu", "a")},
	} {
		mk := func() *model.Graph {
			return &model.Graph{Inputs: []*model.Value{{Name: "x", Type: x}, {Name: "y", Type: &model.Type{Kind: model.KindTensor, DType: "float32"}}},
				Initializers: []*model.Tensor{{Name: "w", DType: "float32", Shape: []int64{4}}, {Name: "w2", DType: "float32", Shape: []int64{4}}},
				ValueInfo: []*model.Value{{Name: "listed"}, {Name: "twice"}, {Name: "out"}, {Name: "twice", Type: &model.Type{Kind: model.KindTensor, DType: "float32"}},
					{Name: "vague"}, {Name: "w2"}},
				Outputs: []*model.Value{{Name: "out"}},
				Nodes:   slices.Clone(nodes)}
		}
		if got, want, _ := recordBoth(t, mk); got != want {
			t.Errorf("%s: recorded\n%s\nwant\n%s", name, got, want)
		}
	}
	got, want, on := recordBoth(t, func() *model.Graph { return untypedTransformer(3000).Graph })
	if !on || got != want {
		t.Fatalf("transformer: gathered to the end %v, same record %v", on, got == want)
	}
	// Every value stored in the file, as exporters that ran inference
	// write them: each entry is updated, none added.
	stored := func() *model.Graph {
		g := untypedTransformer(3000).Graph
		Fill(context.Background(), &model.Model{Format: "onnx", Graph: g}, Options{Opset: 17})
		for k, v := range g.ValueInfo {
			v.Inferred = false
			if k%2 == 0 { // the dtype left out, for inference to fill
				v.Type = &model.Type{Kind: v.Type.Kind, Shape: v.Type.Shape}
			}
		}
		return g
	}
	got, want, on = recordBoth(t, stored)
	if !on || got != want || !strings.Contains(got, " true\n") {
		t.Fatalf("stored transformer: gathered to the end %v, same record %v, some entry updated %v", on, got == want, strings.Contains(got, " true\n"))
	}
	if ons < 20 || ons > 180 {
		t.Errorf("%d of 200 tangled graphs kept the gathered path: the test needs both paths", ons)
	}
	t.Logf("%d of 200 tangled graphs kept the gathered path", ons)
}

// BenchmarkRecord100k times record of a 100,000-node transformer, with
// what was gathered while inferring and by looking every value up.
func BenchmarkRecord100k(b *testing.B) {
	for _, mode := range []string{"gathered", "looked-up"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				g := untypedTransformer(100_000).Graph
				in := infer(context.Background(), g, Options{Opset: 17}, nil)
				if mode == "looked-up" {
					in.rec.stop()
				}
				b.StartTimer()
				in.record(g)
			}
		})
	}
}
