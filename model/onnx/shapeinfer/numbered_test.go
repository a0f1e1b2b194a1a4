package shapeinfer

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/modelpeek/modelpeek/model"
)

// streamFields hands m's main graph over to a stream the way the decoder
// does: its fields in batches of batch (values before initializers when
// valuesFirst), then its nodes, the names numbered in the order they are
// met when numbered (nil otherwise). It returns the stream's Info.
func streamFields(t *testing.T, m *model.Model, batch int, numbered, valuesFirst bool) *Info {
	t.Helper()
	g := m.Graph
	nodes := g.Nodes
	g.Nodes = nil
	names := map[string]int32{}
	num := func(name string) int32 {
		if name == "" {
			return -1
		}
		id, ok := names[name]
		if !ok {
			id = int32(len(names))
			names[name] = id
		}
		return id
	}
	ids := func(k int, name func(int) string) []int32 {
		if !numbered {
			return nil
		}
		out := make([]int32, k)
		for i := range out {
			out[i] = num(name(i))
		}
		return out
	}
	start := StartFields
	if numbered {
		start = StartNumbered
	}
	s := start(context.Background(), m, Options{}, sizesOf(g, len(nodes)))
	defer s.Stop()
	addInits := func() {
		for ts := range slices.Chunk(g.Initializers, batch) {
			s.AddInitializers(ts, ids(len(ts), func(i int) string { return ts[i].Name }))
		}
	}
	if !valuesFirst {
		addInits()
	}
	for k, vs := range valueLists(g) {
		for part := range slices.Chunk(vs, batch) {
			s.AddValues(ValueList(k), part, ids(len(part), func(i int) string { return part[i].Name }))
		}
	}
	if valuesFirst {
		addInits()
	}
	s.EndFields()
	for part := range slices.Chunk(nodes, batch) {
		var nids []int32
		for _, n := range part {
			nids = append(nids, ids(len(n.Inputs), func(i int) string { return n.Inputs[i] })...)
			nids = append(nids, ids(len(n.Outputs), func(i int) string { return n.Outputs[i] })...)
		}
		g.Nodes = append(g.Nodes, part...)
		s.Add(part, nids)
	}
	if numbered {
		s.Names(func(name string) (int32, bool) {
			id, ok := names[name]
			return id, ok
		})
	}
	return s.Finish()
}

// outerGraph is a graph whose If node's branches read a value of the
// graph around them, and whose output is made before its last node, so
// that inference after the nodes looks names up (subgraphs, outputs).
func outerGraph() *model.Graph {
	x := &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.ShapeOf([]int64{2, 3})}
	branch := func(out string) *model.Graph {
		return &model.Graph{Nodes: []*model.Node{{OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{out}}},
			Outputs: []*model.Value{{Name: out}}}
	}
	return &model.Graph{
		Inputs: []*model.Value{{Name: "x", Type: x}, {Name: "c", Type: &model.Type{Kind: model.KindTensor, DType: "bool", Shape: model.Shape{}}}},
		Nodes: []*model.Node{
			{OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"h"}},
			{OpType: "Sigmoid", Inputs: []string{"h"}, Outputs: []string{"out"}},
			{OpType: "If", Inputs: []string{"c"}, Outputs: []string{"r"}, Attrs: []model.Attribute{
				{Name: "then_branch", Type: model.AttrGraph, Graphs: []*model.Graph{branch("t")}},
				{Name: "else_branch", Type: model.AttrGraph, Graphs: []*model.Graph{branch("e")}}}},
		},
		Outputs: []*model.Value{{Name: "out"}, {Name: "r"}},
	}
}

// typesWithin is typesOf g and of its nodes' subgraphs.
func typesWithin(g *model.Graph) string {
	s := typesOf(g)
	for _, n := range g.Nodes {
		for _, sg := range n.Subgraphs() {
			s += "[" + typesWithin(sg) + "]"
		}
	}
	return s
}

// TestFieldStreamsMatchFill checks that a stream fed the graph's fields
// in batches, numbered or by name, in either order of initializers and
// values, records exactly what Fill does: on a transformer, on graphs
// that meet every case of the recorder (tangledGraph, both its paths),
// and on one whose subgraphs and outputs are typed after the nodes.
func TestFieldStreamsMatchFill(t *testing.T) {
	defer goleak.VerifyNone(t)
	graphs := map[string]func() *model.Graph{
		"transformer": func() *model.Graph { return untypedTransformer(2000).Graph },
		"outer":       outerGraph,
	}
	for seed := range uint64(40) {
		graphs["tangled "+strconv.FormatUint(seed, 10)] = func() *model.Graph { return tangledGraph(60, seed) }
	}
	for name, mk := range graphs {
		want := &model.Model{Format: "onnx", Graph: mk()}
		Fill(context.Background(), want, Options{})
		wantTypes := typesWithin(want.Graph)
		for _, batch := range []int{1, 7, 1 << 20} {
			for _, numbered := range []bool{false, true} {
				for _, valuesFirst := range []bool{false, true} {
					got := &model.Model{Format: "onnx", Graph: mk()}
					streamFields(t, got, batch, numbered, valuesFirst)
					if g := typesWithin(got.Graph); g != wantTypes {
						t.Errorf("%s, batches of %d, numbered %v, values first %v: the stream records\n%s\nFill\n%s",
							name, batch, numbered, valuesFirst, g, wantTypes)
					}
				}
			}
		}
	}
	// The outer graph's check means something only if its branches and
	// outputs are typed.
	want := &model.Model{Format: "onnx", Graph: outerGraph()}
	Fill(context.Background(), want, Options{})
	if o := want.Graph.Outputs[0].Type; o == nil || o.Shape == nil {
		t.Fatalf("Fill left the outer graph's output untyped: %+v", o)
	}
	if b := want.Graph.Nodes[2].Attrs[0].Graphs[0].Outputs[0].Type; b == nil || b.Shape == nil {
		t.Fatalf("Fill left the branch's output untyped: %+v", b)
	}
}
