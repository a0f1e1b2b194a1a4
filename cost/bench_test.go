package cost_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/modelpeek/modelpeek/cost"
	"github.com/modelpeek/modelpeek/model"
)

// bigGraph is n nodes in repeating Conv → Relu → Add blocks over
// [batch,64,56,56] activations, every value typed.
func bigGraph(n int) *model.Graph {
	act := func(name string) *model.Value { return val(name, tensorType("float32", "batch", 64, 56, 56)) }
	g := &model.Graph{Inputs: []*model.Value{act("v0")}}
	prev, skip := "v0", "v0"
	for i := 1; i <= n; i++ {
		out := "v" + strconv.Itoa(i)
		nd := &model.Node{Name: "n" + strconv.Itoa(i), Outputs: []string{out}}
		switch i % 3 {
		case 1:
			w := "w" + strconv.Itoa(i)
			g.Initializers = append(g.Initializers, &model.Tensor{Name: w, DType: "float32", Shape: []int64{64, 64, 3, 3}})
			nd.OpType, nd.Inputs = "Conv", []string{prev, w}
		case 2:
			nd.OpType, nd.Inputs = "Relu", []string{prev}
		default:
			nd.OpType, nd.Inputs = "Add", []string{prev, skip}
			skip = out
		}
		g.Nodes = append(g.Nodes, nd)
		g.ValueInfo = append(g.ValueInfo, act(out))
		prev = out
	}
	g.Outputs = []*model.Value{act(prev)}
	return g
}

// BenchmarkGraph100k counts a 100,000-node graph.
func BenchmarkGraph100k(b *testing.B) {
	g := bigGraph(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := cost.Graph(context.Background(), g, cost.Options{})
		if r.UnknownNodes != 0 {
			b.Fatal("unknown nodes")
		}
	}
}
