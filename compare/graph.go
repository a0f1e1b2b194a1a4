package compare

import (
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// node is what matching knows about one node of a graph.
type node struct {
	n       *model.Node
	label   string // display name
	op      string // canonical op (ops.go)
	preds   []int  // producers of the node's data inputs
	succs   []int  // consumers of the node's outputs
	pos     float64
	sig     uint64 // op with the ops of its neighbours
	shape   string // first output's type
	weights []*model.Tensor
	match   int // index in the other graph, -1 when unmatched
	score   float64
}

// index is a graph prepared for matching.
type index struct {
	g       *model.Graph
	nodes   []node
	byName  map[string]int // unique non-empty names only
	weights map[string]*model.Tensor
	types   map[string]*model.Type
}

// newIndex builds the index of g: edges through values, weights by
// initializer name, a topological position per node and a signature.
func newIndex(g *model.Graph) *index {
	if g == nil {
		g = &model.Graph{}
	}
	x := &index{g: g, byName: map[string]int{}, weights: map[string]*model.Tensor{}, types: map[string]*model.Type{}}
	for _, t := range g.Initializers {
		if t != nil {
			x.weights[t.Name] = t
		}
	}
	for _, vs := range [][]*model.Value{g.Inputs, g.ValueInfo, g.Outputs} {
		for _, v := range vs {
			if v != nil && v.Type != nil {
				x.types[v.Name] = v.Type
			}
		}
	}
	x.nodes = make([]node, len(g.Nodes))
	x.names()
	x.edges()
	x.positions()
	x.signatures()
	return x
}

// names sets display labels and the unique-name map.
func (x *index) names() {
	seen := map[string]int{}
	for i, n := range x.g.Nodes {
		if n == nil {
			n = &model.Node{} // a placeholder; the caller's graph is not changed
		}
		x.nodes[i] = node{n: n, op: canonicalOp(n.OpType), match: -1}
		x.nodes[i].label = n.Name
		if n.Name == "" {
			x.nodes[i].label = n.OpType + "#" + strconv.Itoa(i)
		}
		seen[n.Name]++
	}
	for i := range x.nodes {
		if name := x.nodes[i].n.Name; name != "" && seen[name] == 1 {
			x.byName[name] = i
		}
	}
}

// edges links producers to consumers through data values; weights are
// attached to the nodes that read them.
func (x *index) edges() {
	producer := map[string]int{}
	for i := range x.nodes {
		for _, o := range x.nodes[i].n.Outputs {
			if o != "" {
				producer[o] = i
			}
		}
	}
	for i := range x.nodes {
		n := x.nodes[i].n
		for _, in := range n.Inputs {
			if t, ok := x.weights[in]; ok {
				x.nodes[i].weights = append(x.nodes[i].weights, t)
				continue
			}
			if p, ok := producer[in]; ok && p != i {
				x.nodes[i].preds = append(x.nodes[i].preds, p)
				x.nodes[p].succs = append(x.nodes[p].succs, i)
			}
		}
		if len(n.Outputs) > 0 {
			x.nodes[i].shape = typeString(x.types[n.Outputs[0]])
		}
	}
}

// positions places each node along the data path: its longest-path depth
// from the inputs, scaled to [0, 1]. Cycles (malformed graphs) are cut.
func (x *index) positions() {
	n := len(x.nodes)
	indeg := make([]int, n)
	for i := range x.nodes {
		indeg[i] = len(x.nodes[i].preds)
	}
	depth := make([]int, n)
	queue := make([]int, 0, n)
	for i := range indeg {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	maxDepth := 1
	for k := 0; k < len(queue); k++ {
		i := queue[k]
		for _, s := range x.nodes[i].succs {
			depth[s] = max(depth[s], depth[i]+1)
			maxDepth = max(maxDepth, depth[s])
			if indeg[s]--; indeg[s] == 0 {
				queue = append(queue, s)
			}
		}
	}
	for i := range x.nodes {
		x.nodes[i].pos = float64(depth[i]) / float64(maxDepth)
	}
}

// signatures hash each node's op with the sorted ops of its predecessors
// and successors.
func (x *index) signatures() {
	var ops []string
	for i := range x.nodes {
		nd := &x.nodes[i]
		h := fnv.New64a()
		h.Write([]byte(nd.op))
		for _, side := range [][]int{nd.preds, nd.succs} {
			ops = ops[:0]
			for _, j := range side {
				ops = append(ops, x.nodes[j].op)
			}
			slices.Sort(ops)
			h.Write([]byte{0})
			for _, o := range ops {
				h.Write([]byte(o))
				h.Write([]byte{1})
			}
		}
		nd.sig = h.Sum64()
	}
}
