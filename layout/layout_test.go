package layout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/modelpeek/modelpeek/model"
)

// checkView asserts the invariants every drawing must hold: unique IDs,
// edges between existing boxes, endpoints on the boxes' borders, no two
// boxes overlapping, everything inside Width×Height, finite numbers.
func checkView(t *testing.T, v *View) {
	t.Helper()
	byID := make(map[string]*Node, len(v.Nodes))
	for i := range v.Nodes {
		n := &v.Nodes[i]
		if byID[n.ID] != nil {
			t.Fatalf("duplicate node id %q", n.ID)
		}
		byID[n.ID] = n
		for _, f := range []float64{n.X, n.Y, n.W, n.H} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("node %s has a non-finite coordinate: %+v", n.ID, n)
			}
		}
		if n.W <= 0 || n.H <= 0 {
			t.Fatalf("node %s has no size: %+v", n.ID, n)
		}
		if n.X < 0 || n.Y < 0 || n.X+n.W > v.Width+1e-6 || n.Y+n.H > v.Height+1e-6 {
			t.Fatalf("node %s (%v,%v %vx%v) outside the %vx%v drawing", n.ID, n.X, n.Y, n.W, n.H, v.Width, v.Height)
		}
	}
	// No overlapping boxes: sweep by y.
	idx := make([]int, len(v.Nodes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpF(v.Nodes[a].Y, v.Nodes[b].Y) })
	for i, a := range idx {
		na := &v.Nodes[a]
		for _, b := range idx[i+1:] {
			nb := &v.Nodes[b]
			if nb.Y >= na.Y+na.H {
				break
			}
			if nb.X < na.X+na.W-1e-6 && na.X < nb.X+nb.W-1e-6 {
				t.Fatalf("boxes %s %+v and %s %+v overlap", na.ID, *na, nb.ID, *nb)
			}
		}
	}
	for _, e := range v.Edges {
		from, to := byID[e.From], byID[e.To]
		if from == nil || to == nil {
			t.Fatalf("edge %s→%s refers to a missing box", e.From, e.To)
		}
		if len(e.Points) < 4 || len(e.Points)%2 != 0 {
			t.Fatalf("edge %s→%s has points %v", e.From, e.To, e.Points)
		}
		p := e.Points
		if !onBorder(from, p[0], p[1]) {
			t.Fatalf("edge %s→%s starts at (%v,%v), not on its source %+v", e.From, e.To, p[0], p[1], *from)
		}
		if !onBorder(to, p[len(p)-2], p[len(p)-1]) {
			t.Fatalf("edge %s→%s ends at (%v,%v), not on its target %+v", e.From, e.To, p[len(p)-2], p[len(p)-1], *to)
		}
		for j := 0; j < len(p); j += 2 {
			if p[j] < 0 || p[j+1] < 0 || p[j] > v.Width+1e-6 || p[j+1] > v.Height+1e-6 || math.IsNaN(p[j]) || math.IsNaN(p[j+1]) {
				t.Fatalf("edge %s→%s point (%v,%v) outside the drawing", e.From, e.To, p[j], p[j+1])
			}
		}
	}
	for _, g := range v.Groups {
		if g.W <= 0 || g.H <= 0 {
			t.Fatalf("group %s has no frame: %+v", g.ID, g)
		}
	}
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// onBorder reports whether (x, y) is the top or bottom centre of n.
func onBorder(n *Node, x, y float64) bool {
	cx := n.X + n.W/2
	return math.Abs(x-cx) < 1e-6 && (math.Abs(y-n.Y) < 1e-6 || math.Abs(y-n.Y-n.H) < 1e-6)
}

func mustLayout(t *testing.T, g *model.Graph, opts Options) *View {
	t.Helper()
	v, err := Layout(context.Background(), g, opts)
	if err != nil {
		t.Fatalf("Layout: %v", err)
	}
	checkView(t, v)
	return v
}

func node(name, op string, inputs []string, outputs ...string) *model.Node {
	return &model.Node{Name: name, OpType: op, Inputs: inputs, Outputs: outputs}
}

func tensorValue(name string, dims ...int64) *model.Value {
	return &model.Value{Name: name, Type: &model.Type{Kind: model.KindTensor, DType: "float32", Shape: model.ShapeOf(dims)}}
}

func findNode(v *View, id string) *Node {
	for i := range v.Nodes {
		if v.Nodes[i].ID == id {
			return &v.Nodes[i]
		}
	}
	return nil
}

func TestDeterministic(t *testing.T) {
	for _, opts := range []Options{{ExpandAll: true}, {}} {
		g := GenTransformer(3000)
		a, _ := json.Marshal(mustLayout(t, g, opts))
		b, _ := json.Marshal(mustLayout(t, GenTransformer(3000), opts))
		// Layout time differs between runs; blank it.
		a = blankTime(t, a)
		b = blankTime(t, b)
		if !bytes.Equal(a, b) {
			t.Fatalf("two layouts of the same graph differ (opts %+v)", opts)
		}
	}
}

func blankTime(t *testing.T, b []byte) []byte {
	t.Helper()
	var v View
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	v.Stats.LayoutMillis = 0
	out, _ := json.Marshal(&v)
	return out
}

func TestGeneratedGraphs(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    *model.Graph
	}{
		{"transformer500", GenTransformer(500)},
		{"transformer2000", GenTransformer(2000)},
		{"resnet300", GenResNet(300)},
		{"resnet2000", GenResNet(2000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := len(tc.g.Nodes); got != map[string]int{"transformer500": 500, "transformer2000": 2000, "resnet300": 300, "resnet2000": 2000}[tc.name] {
				t.Fatalf("generator made %d nodes", got)
			}
			v := mustLayout(t, tc.g, Options{ExpandAll: true})
			if v.Stats.ModelNodes != len(tc.g.Nodes) || v.Stats.TotalNodes != len(tc.g.Nodes) {
				t.Fatalf("stats %+v, graph has %d nodes", v.Stats, len(tc.g.Nodes))
			}
			// Every model edge is drawn once: count producer→consumer links.
			want := modelEdges(tc.g)
			if v.Stats.ModelEdges != want {
				t.Fatalf("ModelEdges %d, want %d", v.Stats.ModelEdges, want)
			}
			// Chains are straight: an edge between two ops with one
			// input and one output each is vertical.
			straight, chains := straightChains(v)
			if chains == 0 || float64(straight) < 0.95*float64(chains) {
				t.Fatalf("only %d of %d chain links are straight", straight, chains)
			}
			t.Logf("%d boxes, %d edges, %d crossings (drawn %d), %d layers, %.0f×%.0f px, %d/%d straight",
				len(v.Nodes), len(v.Edges), v.Stats.Crossings, Crossings(v), v.Stats.Layers, v.Width, v.Height, straight, chains)
		})
	}
}

// modelEdges counts (producer, consumer, value) links of g where the
// producer is a node or a non-initializer graph input and the consumer a
// node or graph output.
func modelEdges(g *model.Graph) int {
	inits := map[string]bool{}
	for _, t := range g.Initializers {
		inits[t.Name] = true
	}
	prod := map[string]bool{}
	for _, in := range g.Inputs {
		if !inits[in.Name] {
			prod[in.Name] = true
		}
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			prod[o] = true
		}
	}
	count := 0
	for _, n := range g.Nodes {
		seen := map[string]bool{}
		for _, in := range n.Inputs {
			if in != "" && !inits[in] && !seen[in] {
				seen[in] = true
				count++
			}
		}
	}
	for _, o := range g.Outputs {
		if prod[o.Name] {
			count++
		}
	}
	return count
}

func straightChains(v *View) (straight, chains int) {
	in, out := map[string]int{}, map[string]int{}
	for _, e := range v.Edges {
		out[e.From]++
		in[e.To]++
	}
	for _, e := range v.Edges {
		if out[e.From] == 1 && in[e.To] == 1 {
			chains++
			if math.Abs(e.Points[0]-e.Points[len(e.Points)-2]) < 2 {
				straight++
			}
		}
	}
	return straight, chains
}

func TestInlinedWeights(t *testing.T) {
	g := &model.Graph{
		// An old exporter lists the weights among the inputs.
		Inputs:  []*model.Value{tensorValue("x", 1, 3, 224, 224), tensorValue("conv.weight", 64, 3, 7, 7), tensorValue("conv.bias", 64)},
		Outputs: []*model.Value{tensorValue("y", 1, 64, 112, 112)},
		Nodes: []*model.Node{
			node("conv", "Conv", []string{"x", "conv.weight", "conv.bias"}, "c"),
			node("k", "Constant", nil, "k"),
			node("mul", "Mul", []string{"c", "k"}, "y"),
		},
		Initializers: []*model.Tensor{
			{Name: "conv.weight", DType: "float32", Shape: []int64{64, 3, 7, 7}},
			{Name: "conv.bias", DType: "float32", Shape: []int64{64}},
		},
	}
	g.Nodes[1].Attrs = []model.Attribute{{Name: "value", Type: model.AttrTensor, Tensors: []*model.Tensor{{Name: "k", DType: "float32", Shape: []int64{}}}}}
	v := mustLayout(t, g, Options{})
	var kinds []string
	for _, n := range v.Nodes {
		kinds = append(kinds, n.Kind+":"+n.Label)
	}
	if want := []string{"input:x", "op:Conv", "op:Mul", "output:y"}; !slices.Equal(kinds, want) {
		t.Fatalf("boxes %v, want %v (weights and the constant inlined)", kinds, want)
	}
	conv := findNode(v, "n0")
	if want := []string{"W 64×3×7×7", "B 64"}; !slices.Equal(conv.Lines, want) {
		t.Fatalf("Conv lines %q, want %q", conv.Lines, want)
	}
	if mul := findNode(v, "n2"); !slices.Equal(mul.Lines, []string{"B scalar"}) {
		t.Fatalf("Mul lines %q", mul.Lines)
	}
	if v.Stats.ModelNodes != 2 || v.Stats.InlinedNodes != 1 || v.Stats.ModelEdges != 3 {
		t.Fatalf("stats %+v", v.Stats)
	}
	// Box size follows the text metric: the longest line "W 64×3×7×7" has
	// 10 characters, there are 3 lines.
	m := Metric()
	if conv.W != 2*m.PadX+10*m.CharWidth || conv.H != 2*m.PadY+3*m.LineHeight {
		t.Fatalf("Conv box %vx%v does not follow the metric", conv.W, conv.H)
	}
	if v.Metric != m {
		t.Fatalf("view metric %+v", v.Metric)
	}
	// The edge carries the value's type.
	for _, e := range v.Edges {
		if e.To == "o0" && (e.Label != "1×64×112×112" || e.DType != "float32") {
			t.Fatalf("output edge label %q, dtype %q", e.Label, e.DType)
		}
	}
}

func TestStubsForHighFanout(t *testing.T) {
	g := GenTransformer(600) // 16 layers share the mask and rotary tables
	v := mustLayout(t, g, Options{ExpandAll: true})
	stubs := map[string]int{}
	for _, n := range v.Nodes {
		if n.Kind == KindStub {
			stubs[n.Name]++
		}
	}
	layers := (600 - 3) / 35
	if stubs["attention_mask"] != layers || stubs["cos"] != 2*layers || stubs["sin"] != 2*layers {
		t.Fatalf("stubs %v, want one per consumer (%d layers)", stubs, layers)
	}
	for _, n := range v.Nodes {
		if n.Kind == KindStub && n.Name == "attention_mask" && n.Source != "i1" {
			t.Fatalf("stub %s has source %q, want i1", n.ID, n.Source)
		}
	}
	for _, e := range v.Edges {
		if e.From == "i1" {
			t.Fatalf("attention_mask still drawn with a long edge to %s", e.To)
		}
	}
	if v.Stats.Stubs != 5*layers {
		t.Fatalf("Stats.Stubs %d", v.Stats.Stubs)
	}
	// Without stubs, the same graph has long edges and more layers' worth
	// of dummies, but stays valid.
	mustLayout(t, g, Options{ExpandAll: true, StubFanout: -1})
}

func TestGroups(t *testing.T) {
	g := GenTransformer(5000)
	all := mustLayout(t, g, Options{ExpandAll: true})
	if all.Stats.ModelNodes != 5000 {
		t.Fatalf("expand all drew %d of 5000 nodes", all.Stats.ModelNodes)
	}
	ids := map[string]bool{}
	for _, gr := range all.Groups {
		ids[gr.ID] = true
		if gr.Collapsed {
			t.Fatalf("group %s collapsed under ExpandAll", gr.ID)
		}
	}
	for _, want := range []string{"g:/model/layers.3", "g:/model/layers.3/self_attn", "g:/model/layers.3/mlp"} {
		if !ids[want] {
			t.Fatalf("group %s missing", want)
		}
	}
	// Members lie inside their group's frame.
	frames := map[string]Group{}
	for _, gr := range all.Groups {
		frames[gr.ID] = gr
	}
	for _, n := range all.Nodes {
		if n.Group == "" {
			continue
		}
		f := frames[n.Group]
		if n.X < f.X || n.Y < f.Y || n.X+n.W > f.X+f.W || n.Y+n.H > f.Y+f.H {
			t.Fatalf("node %s outside its group %s frame", n.ID, n.Group)
		}
	}

	// Sibling frames are disjoint (group borders).
	for i, a := range all.Groups {
		for _, b := range all.Groups[i+1:] {
			if a.Parent == b.Parent && a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Fatalf("sibling frames %s %+v and %s %+v overlap", a.ID, a, b.ID, b)
			}
		}
	}

	def := mustLayout(t, g, Options{})
	var groupBoxes int
	for _, n := range def.Nodes {
		if n.Kind == KindGroup {
			groupBoxes++
			if n.Count < 2 {
				t.Fatalf("collapsed group %s with count %d", n.ID, n.Count)
			}
		}
	}
	if groupBoxes == 0 || def.Stats.ModelNodes >= 5000 {
		t.Fatalf("5000 nodes open with %d group boxes and %d op boxes", groupBoxes, def.Stats.ModelNodes)
	}
	if s := def.Stats; s.ModelNodes+s.HiddenNodes+s.InlinedNodes != s.TotalNodes {
		t.Fatalf("stats do not add up: %+v", s)
	}
	if len(def.Nodes) > DefaultVisibleBudget+100 {
		t.Fatalf("default view has %d boxes", len(def.Nodes))
	}
	// Opening one layer shows its members and its ancestors open.
	open := mustLayout(t, g, Options{Expanded: []string{"g:/model/layers.3/self_attn"}})
	if findNode(open, "g:/model/layers.3/self_attn") != nil || open.Stats.ModelNodes <= def.Stats.ModelNodes {
		t.Fatalf("expanding a group did not open it (%d op boxes)", open.Stats.ModelNodes)
	}
	found := false
	for _, n := range open.Nodes {
		if n.Group == "g:/model/layers.3/self_attn" {
			found = true
		}
	}
	if !found {
		t.Fatal("no member of the opened group is drawn")
	}
	// Collapsing it again.
	closed := mustLayout(t, g, Options{Expanded: []string{"g:/model/layers.3/self_attn"}, Collapsed: []string{"g:/model/layers.3/self_attn"}})
	if findNode(closed, "g:/model/layers.3/self_attn") == nil {
		t.Fatal("Collapsed did not close the group")
	}
}

func TestScopes(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"/layers.3/attn/MatMul", []string{"/layers.3", "/layers.3/attn"}},
		{"model.layers.3.self_attn.q_proj", []string{"model", "model.layers", "model.layers.3", "model.layers.3.self_attn"}},
		{"blk.3.attn_q", []string{"blk", "blk.3"}},
		{"model/conv2d/Conv2D;model/conv2d/BiasAdd", []string{"model", "model/conv2d"}},
		{"Conv_0", nil},
		{"//a//b", []string{"//a"}},
	} {
		var got []string
		for _, e := range scopeEnds(tc.name, nil) {
			got = append(got, tc.name[:e])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("scopes of %q: %q, want %q", tc.name, got, tc.want)
		}
	}
	// Dotted names group too.
	g := &model.Graph{Inputs: []*model.Value{tensorValue("x", 1)}}
	x := "x"
	for l := 0; l < 3; l++ {
		for _, op := range []string{"attn_norm", "attn_q", "ffn_up"} {
			n := node("blk."+string(rune('0'+l))+"."+op, "MatMul", []string{x}, op+string(rune('0'+l)))
			g.Nodes = append(g.Nodes, n)
			x = n.Outputs[0]
		}
	}
	v := mustLayout(t, g, Options{})
	var got []string
	for _, gr := range v.Groups {
		got = append(got, gr.ID+"="+gr.Label)
	}
	if want := []string{"g:blk.0=blk.0", "g:blk.1=blk.1", "g:blk.2=blk.2"}; !slices.Equal(got, want) {
		t.Fatalf("groups %q, want %q", got, want)
	}
}

// TestScopeTrie: scopes are numbered in order of first appearance among
// the drawn nodes, a node back in a scope seen before (not the previous
// node's) finds it again, and nil or inlined nodes add nothing.
func TestScopeTrie(t *testing.T) {
	names := []string{"/a/b/Op", "/a/b/Op_1", "/a/c/Op", "/a/b/Op_2", "/k/Constant", "Plain", "/a/c/d/Op", "/a/c/Op_1"}
	nodes := make([]*model.Node, len(names)+1)
	for i, n := range names {
		nodes[i] = &model.Node{Name: n}
	}
	inline := make([]bool, len(nodes))
	inline[4] = true // "/k/Constant": drawn inside its consumer
	tr := newScopeTrie(nodes, inline)
	if want := []string{"/a", "/a/b", "/a/c", "/a/c/d"}; !slices.Equal(tr.path, want) {
		t.Fatalf("paths %q, want %q", tr.path, want)
	}
	if want := []int32{-1, 0, 0, 2}; !slices.Equal(tr.parent, want) {
		t.Errorf("parents %v, want %v", tr.parent, want)
	}
	if want := []int{6, 3, 3, 1}; !slices.Equal(tr.count, want) {
		t.Errorf("counts %v, want %v", tr.count, want)
	}
	if want := []int32{1, 1, 2, 1, -1, -1, 3, 2, -1}; !slices.Equal(tr.leaf, want) {
		t.Errorf("leaves %v, want %v", tr.leaf, want)
	}
}

func TestCyclesAndDegenerateGraphs(t *testing.T) {
	long := strings.Repeat("/a", 5000) + "/Relu"
	cases := map[string]*model.Graph{
		"nil":   nil,
		"empty": {},
		"one":   {Nodes: []*model.Node{node("n", "Relu", nil, "y")}},
		"self-loop": {Nodes: []*model.Node{
			node("a", "Add", []string{"x", "a"}, "a"),
		}, Inputs: []*model.Value{tensorValue("x", 1)}},
		"cycle": {Nodes: []*model.Node{
			node("a", "Relu", []string{"c"}, "a"),
			node("b", "Relu", []string{"a"}, "b"),
			node("c", "Add", []string{"b", "a"}, "c"),
		}},
		"dangling": {Nodes: []*model.Node{
			node("a", "Relu", []string{"nowhere", "", "x"}, "a"),
		}, Outputs: []*model.Value{tensorValue("missing"), tensorValue("a")}},
		"duplicate outputs": {Nodes: []*model.Node{
			node("a", "Relu", []string{"x"}, "y", "y"),
			node("b", "Relu", []string{"x"}, "y"),
			node("c", "Relu", []string{"y", "y", "y"}, "z"),
		}, Inputs: []*model.Value{tensorValue("x"), tensorValue("x")},
			Outputs: []*model.Value{tensorValue("z"), tensorValue("z"), tensorValue("y")}},
		"nil entries": {Nodes: []*model.Node{nil, node("", "", nil)}, Inputs: []*model.Value{nil},
			Outputs: []*model.Value{nil}, Initializers: []*model.Tensor{nil}, ValueInfo: []*model.Value{nil}},
		"hostile names": {Nodes: []*model.Node{
			node(long, strings.Repeat("X", 10000), []string{"x"}, "y"),
			node(long+"2", "Relu", []string{"y"}, "z"),
		}},
	}
	for name, g := range cases {
		t.Run(name, func(t *testing.T) {
			v := mustLayout(t, g, Options{})
			if g != nil && v.Stats.TotalNodes != len(g.Nodes) {
				t.Fatalf("TotalNodes %d", v.Stats.TotalNodes)
			}
			for _, n := range v.Nodes {
				if len([]rune(n.Label)) > Metric().MaxChars {
					t.Fatalf("label not clipped: %d chars", len(n.Label))
				}
			}
		})
	}
	v := mustLayout(t, cases["cycle"], Options{})
	if len(v.Edges) != 4 {
		t.Fatalf("cycle: %d edges, want 4", len(v.Edges))
	}
	v = mustLayout(t, cases["self-loop"], Options{})
	if len(v.Edges) != 2 {
		t.Fatalf("self-loop: %d edges", len(v.Edges))
	}
}

func TestIsolatedNodes(t *testing.T) {
	// A weights-only file: many nodes, no edges. They are stacked, not
	// drawn as one very wide row.
	g := &model.Graph{}
	for i := 0; i < 400; i++ {
		g.Nodes = append(g.Nodes, &model.Node{Name: "blk." + strconv.Itoa(i), OpType: "Block",
			Inputs: []string{"blk." + strconv.Itoa(i) + ".attn_q.weight"}})
		g.Initializers = append(g.Initializers, &model.Tensor{Name: "blk." + strconv.Itoa(i) + ".attn_q.weight", Shape: []int64{64, 64}})
	}
	v := mustLayout(t, g, Options{})
	if v.Stats.Layers != 20 || v.Width > 20*200 {
		t.Fatalf("400 isolated nodes in %d layers, %.0f px wide", v.Stats.Layers, v.Width)
	}
	if n := findNode(v, "n7"); !slices.Equal(n.Lines, []string{"attn_q.weight 64×64"}) {
		t.Fatalf("lines %q", n.Lines)
	}
}

func TestBigCycle(t *testing.T) {
	// A long ring plus chords: cycle removal and the DFS stay iterative.
	g := &model.Graph{}
	const n = 20_000
	for i := 0; i < n; i++ {
		in := []string{"v" + strconv.Itoa((i+n-1)%n)}
		if i%97 == 0 {
			in = append(in, "v"+strconv.Itoa((i*7919)%n))
		}
		g.Nodes = append(g.Nodes, node("", "Add", in, "v"+strconv.Itoa(i)))
	}
	v := mustLayout(t, g, Options{ExpandAll: true})
	if v.Stats.ModelNodes != n {
		t.Fatalf("%d boxes", v.Stats.ModelNodes)
	}
}

func TestCancel(t *testing.T) {
	g := GenTransformer(30_000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Layout(ctx, g, Options{ExpandAll: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Layout(ctx, g, Options{ExpandAll: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: err %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancellation took %v", d)
	}
}

func TestCrossingReduction(t *testing.T) {
	for name, g := range map[string]*model.Graph{
		"transformer": GenTransformer(2000),
		"resnet":      GenResNet(1000),
		"crossed":     crossedGraph(),
	} {
		naive := mustLayout(t, g, Options{ExpandAll: true, Sweeps: -1})
		good := mustLayout(t, g, Options{ExpandAll: true})
		cn, cg := Crossings(naive), Crossings(good)
		t.Logf("%s: crossings %d without reduction, %d with (layer count %d → %d)", name, cn, cg, naive.Stats.Crossings, good.Stats.Crossings)
		if cg > cn || good.Stats.Crossings > naive.Stats.Crossings {
			t.Fatalf("%s: crossing reduction made it worse: %d > %d", name, cg, cn)
		}
		if name == "crossed" && cg >= cn {
			t.Fatalf("crossed: %d crossings not reduced from %d", cg, cn)
		}
	}
}

// crossedGraph is two layers wired so that the input order crosses.
func crossedGraph() *model.Graph {
	g := &model.Graph{}
	var tops []string
	for i := 0; i < 8; i++ {
		g.Inputs = append(g.Inputs, tensorValue("in"+strconv.Itoa(i), 1))
		n := node("a"+strconv.Itoa(i), "Relu", []string{"in" + strconv.Itoa(i)}, "a"+strconv.Itoa(i))
		g.Nodes = append(g.Nodes, n)
		tops = append(tops, n.Outputs[0])
	}
	for i := 0; i < 8; i++ {
		g.Nodes = append(g.Nodes, node("b"+strconv.Itoa(i), "Add", []string{tops[7-i], tops[(i+3)%8]}, "b"+strconv.Itoa(i)))
	}
	return g
}

func TestWideAndDeep(t *testing.T) {
	// One node reading 5,000 producers, one value read by 5,000 nodes (as
	// stubs), and names nested hundreds of levels deep.
	g := &model.Graph{Inputs: []*model.Value{tensorValue("x", 1)}}
	var ins []string
	deep := strings.Repeat("/d", 300)
	for i := 0; i < 5000; i++ {
		n := node(deep+"/p"+strconv.Itoa(i), "Relu", []string{"x"}, "p"+strconv.Itoa(i))
		g.Nodes = append(g.Nodes, n)
		ins = append(ins, n.Outputs[0])
	}
	g.Nodes = append(g.Nodes, node("/cat/Concat", "Concat", ins, "cat"))
	v := mustLayout(t, g, Options{ExpandAll: true})
	if v.Stats.Stubs != 5000 || v.Stats.ModelNodes != 5001 {
		t.Fatalf("stats %+v", v.Stats)
	}
	for _, gr := range v.Groups {
		if strings.Count(gr.ID, "/") > maxScopeDepth {
			t.Fatalf("group %s deeper than %d levels", gr.ID, maxScopeDepth)
		}
	}
}

func TestPrepared(t *testing.T) {
	g := GenTransformer(5000)
	p, err := Prepare(context.Background(), g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	optsList := []Options{{}, {Expanded: []string{"g:/model/layers.2"}}, {ExpandAll: true}, {ShowNames: true}, {StubFanout: -1}}
	done := make(chan error, len(optsList))
	for _, opts := range optsList {
		go func() {
			a, err := p.Layout(context.Background(), opts)
			if err != nil {
				done <- err
				return
			}
			b, err := Layout(context.Background(), g, opts)
			if err != nil {
				done <- err
				return
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if !bytes.Equal(blankTime(t, ja), blankTime(t, jb)) {
				done <- errors.New("prepared layout differs from Layout")
				return
			}
			done <- nil
		}()
	}
	for range optsList {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestOuterScopeValues(t *testing.T) {
	// A Loop body reading "w" from its enclosing graph.
	body := &model.Graph{
		Inputs:  []*model.Value{tensorValue("i"), tensorValue("acc")},
		Outputs: []*model.Value{tensorValue("acc_out")},
		Nodes:   []*model.Node{node("add", "Add", []string{"acc", "w"}, "acc_out")},
	}
	v := mustLayout(t, body, Options{})
	x := findNode(v, "x0")
	if x == nil || x.Kind != KindInput || x.Name != "w" || !slices.Contains(x.Lines, "outer scope") {
		t.Fatalf("outer value box %+v", x)
	}
	if v.Stats.ModelEdges != 3 {
		t.Fatalf("%d edges, want acc→add, w→add, add→acc_out", v.Stats.ModelEdges)
	}
}

func TestConstantSourceStubs(t *testing.T) {
	// A ConstantOfShape (fed only by a weight) read by three ops is drawn
	// as three stubs named after it; a main-flow value with three readers
	// keeps its edges.
	g := &model.Graph{
		Inputs:       []*model.Value{tensorValue("x", 4)},
		Initializers: []*model.Tensor{{Name: "shape", DType: "int64", Shape: []int64{1}}},
		Nodes: []*model.Node{
			node("c", "ConstantOfShape", []string{"shape"}, "k"),
			node("a", "Relu", []string{"x"}, "a"),
			node("p", "Add", []string{"a", "k"}, "p"),
			node("q", "Mul", []string{"a", "k"}, "q"),
			node("r", "Sub", []string{"a", "k"}, "r"),
		},
	}
	v := mustLayout(t, g, Options{})
	var labels []string
	for _, n := range v.Nodes {
		if n.Kind == KindStub {
			labels = append(labels, n.Label+"<"+n.Source)
		}
	}
	if want := []string{"ConstantOfShape<n0", "ConstantOfShape<n0", "ConstantOfShape<n0"}; !slices.Equal(labels, want) {
		t.Fatalf("stubs %q, want %q", labels, want)
	}
	from := 0
	for _, e := range v.Edges {
		if e.From == "n1" {
			from++
		}
	}
	if from != 3 {
		t.Fatalf("Relu has %d drawn edges, want 3", from)
	}
}

// TestOutputWalk: the ids found along the nodes' outputs are the table's,
// whatever the order of the names asked for (node order, shuffled,
// repeated, names no node makes, unknown names), in a table of names and
// in one numbered by a decoder (which searches every output for its
// first misses).
func TestOutputWalk(t *testing.T) {
	g := GenTransformer(3000)
	g.Nodes = append(g.Nodes, nil, &model.Node{Name: "twice", OpType: "Split", Inputs: []string{"x"}, Outputs: []string{"", "t0", "t0", ""}},
		&model.Node{Name: "pair", OpType: "Split", Inputs: []string{"x"}, Outputs: []string{"p0", "p1"}})
	byName := &builder{ctx: context.Background(), g: g, vt: newValueTable(16, nil), b: &built{}}
	if err := byName.indexValues(); err != nil {
		t.Fatal(err)
	}
	var inOrder []string
	for _, n := range g.Nodes {
		if n != nil {
			inOrder = append(inOrder, n.Outputs...)
		}
	}
	shuffled := slices.Clone(inOrder)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	others := []string{"p1", "p0", "input_ids", "model.embed_tokens.weight", "no such value", "", inOrder[5], inOrder[5], inOrder[3]}
	for _, numbered := range []bool{false, true} {
		for name, names := range map[string][]string{"node order": inOrder, "shuffled": shuffled, "others": append(others, inOrder...)} {
			bd := byName
			if numbered {
				nums := numberNames(g, 3)
				bd = &builder{ctx: context.Background(), g: g, vt: newValueTable(16, nums), nums: nums, b: &built{}}
				if err := bd.indexValues(); err != nil {
					t.Fatal(err)
				}
			}
			w := outputWalk{bd: bd}
			for _, s := range names {
				got, gok := w.id(s)
				want, wok := byName.vt.idx[s]
				if got != want || gok != wok {
					t.Fatalf("%s, numbered %v: id(%q) = %d, %v; the table has %d, %v", name, numbered, s, got, gok, want, wok)
				}
			}
		}
	}
}

// TestLineMemo checks builder.line: the clipped "slot text" line, the
// same string for a line met again, and a memo that stops growing at
// maxLineMemo lines while the lines past it stay right.
func TestLineMemo(t *testing.T) {
	bd := &builder{m: Metric()}
	long := strings.Repeat("x", 2*bd.m.MaxChars)
	a, b := bd.line("B", "768"), bd.line("B", "768")
	if a != "B 768" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Errorf("a line met again: %q at %p and %q at %p, want one string", a, unsafe.StringData(a), b, unsafe.StringData(b))
	}
	for i := range maxLineMemo + 100 {
		text := strconv.Itoa(i)
		if got, want := bd.line("W", text), "W "+text; got != want {
			t.Fatalf("line %d: %q, want %q", i, got, want)
		}
	}
	if len(bd.lineMemo) != maxLineMemo {
		t.Errorf("the memo holds %d lines, want %d", len(bd.lineMemo), maxLineMemo)
	}
	if got, want := bd.line("W", long), clip("W "+long, bd.m.MaxChars); got != want {
		t.Errorf("a long line: %q, want %q", got, want)
	}
}
