package layout

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// numberNames numbers g's names as a decoder would (model.ValueNumbers):
// in the order met, lists first, then the nodes (nil ones skipped); first
// is the first number given (a decoder's table holds other graphs' names
// too).
func numberNames(g *model.Graph, first int32) *model.ValueNumbers {
	table := map[string]int32{}
	next := first
	num := func(name string) int32 {
		if name == "" {
			return -1
		}
		n, ok := table[name]
		if !ok {
			n, next = next, next+1
			table[name] = n
		}
		return n
	}
	nums := &model.ValueNumbers{}
	for _, v := range g.Inputs {
		nums.Inputs = append(nums.Inputs, num(v.Name))
	}
	for _, t := range g.Initializers {
		nums.Initializers = append(nums.Initializers, num(t.Name))
	}
	for _, v := range g.Outputs {
		nums.Outputs = append(nums.Outputs, num(v.Name))
	}
	for _, n := range g.Nodes {
		if n == nil {
			continue
		}
		for _, list := range [2][]string{n.Inputs, n.Outputs} {
			for _, s := range list {
				nums.Nodes = append(nums.Nodes, num(s))
			}
		}
	}
	nums.Count = next
	return nums
}

// oddGraph is a small graph with what numbering must not change: a
// repeated input, an output named twice, empty names in the graph's
// lists and a node's, a graph output that is an input, an initializer
// listed among the inputs, a value no node makes.
func oddGraph() *model.Graph {
	return &model.Graph{
		Inputs:       []*model.Value{{Name: "x"}, {Name: ""}, {Name: "w"}},
		Initializers: []*model.Tensor{{Name: "w", DType: "float32", Shape: []int64{4}}, {Name: "b", DType: "float32", Shape: []int64{4}}},
		Nodes: []*model.Node{
			{Name: "a/mul", OpType: "Mul", Inputs: []string{"x", "x"}, Outputs: []string{"m"}},
			{Name: "a/add", OpType: "Add", Inputs: []string{"m", "w", "", "ghost"}, Outputs: []string{"s", "s"}},
			{Name: "b/relu", OpType: "Relu", Inputs: []string{"s"}, Outputs: []string{"r", ""}},
			{Name: "b/add", OpType: "Add", Inputs: []string{"r", "b"}, Outputs: []string{"y"}},
		},
		Outputs: []*model.Value{{Name: "y"}, {Name: "x"}, {Name: "y"}},
	}
}

// laidOutJSON lays g out with opts and returns the view as JSON, its
// time left out.
func laidOutJSON(t *testing.T, g *model.Graph, opts Options) string {
	t.Helper()
	v, err := Layout(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	v.Stats.LayoutMillis = 0 // a time
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNumberedSameView: a graph whose names a decoder numbered is laid
// out exactly as without the numbers (which only spare hashing names),
// every group open or not; numbers that do not fit the graph are not
// used.
func TestNumberedSameView(t *testing.T) {
	graphs := map[string]func() *model.Graph{
		"transformer": func() *model.Graph { return GenTransformer(3000) },
		"resnet":      func() *model.Graph { return GenResNet(2000) },
		"odd":         oddGraph,
	}
	for name, mk := range graphs {
		for _, opts := range []Options{{ExpandAll: true}, {}} {
			want := laidOutJSON(t, mk(), opts)
			g := mk()
			g.Numbers = numberNames(g, 5)
			if !g.Numbers.Valid(g) {
				t.Fatalf("%s: the test's numbers are not valid", name)
			}
			if got := laidOutJSON(t, g, opts); got != want {
				t.Errorf("%s, expand all %v: the numbered graph's view differs", name, opts.ExpandAll)
			}
			stale := mk()
			stale.Numbers = numberNames(stale, 0)
			stale.Outputs = append(stale.Outputs, &model.Value{Name: "late"})
			if stale.Numbers.Valid(stale) {
				t.Fatalf("%s: numbers of a list one entry short are valid", name)
			}
			want = laidOutJSON(t, stale, opts)
			stale.Numbers = nil
			if got := laidOutJSON(t, stale, opts); got != want {
				t.Errorf("%s: numbers that do not fit changed the view", name)
			}
		}
	}
}
