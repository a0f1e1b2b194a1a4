package layout

import (
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// tinyGroup is the size up to which a group inside an open group always
// opens: collapsing two or three nodes saves nothing.
const tinyGroup = 4

// maxScopeDepth bounds the name-scope levels taken from one node name.
const maxScopeDepth = 12

// groupTree holds the name-scope groups kept for the drawing. Groups are
// numbered in order of first appearance; a parent always comes before its
// children.
type groupTree struct {
	path     []string
	ids      []string // public IDs
	label    []string
	parent   []int32
	depth    []int32
	count    []int // op boxes in the subtree
	direct   []int // op boxes whose innermost group this is
	children [][]int32
	chain    [][]int32 // ancestors from the top down, ending with the group itself
}

func (t *groupTree) len() int { return len(t.path) }

// scopeEnds returns the end offsets of the name-scope prefixes of name:
// "/layers.3/attn/MatMul" gives the ends of "/layers.3" and
// "/layers.3/attn"; "model.layers.3.mlp.up" those of "model",
// "model.layers", "model.layers.3", "model.layers.3.mlp". The node's own
// last component is never a scope. TFLite's fused names ("a/b;a/c") use the
// part before ';'.
func scopeEnds(name string, buf []int) []int {
	buf = buf[:0]
	if i := strings.IndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	var sep byte
	switch {
	case strings.IndexByte(name, '/') >= 0:
		sep = '/'
	case strings.IndexByte(name, '.') >= 0:
		sep = '.'
	default:
		return buf
	}
	start := 0
	for i := 0; i < len(name) && len(buf) < maxScopeDepth; i++ {
		if name[i] != sep {
			continue
		}
		if i > start {
			buf = append(buf, i)
		}
		start = i + 1
	}
	return buf
}

// buildGroups groups op boxes by name scope and sets each box's group.
// Stubs join their consumer's group.
func buildGroups(b *built) *groupTree {
	tr := <-b.scopeDone
	b.scopeDone = nil
	near, kept := tr.keep(b.ops)
	t := newGroupTree(kept)
	t.fill(tr, near)
	// Innermost kept group of every op box.
	for i := range b.boxes {
		g := int32(-1)
		if bx := &b.boxes[i]; bx.kind == KindOp {
			if l := tr.leaf[bx.index]; l >= 0 {
				g = near[l]
			}
		}
		b.boxes[i].group = g
		if g >= 0 {
			t.direct[g]++
		}
	}
	for _, c := range b.conns {
		if b.boxes[c.from].kind == KindStub {
			b.boxes[c.from].group = b.boxes[c.to].group
		}
	}
	return t
}

// scopeTrie holds every name scope of the op boxes, parents before their
// children, with the number of op boxes under each.
type scopeTrie struct {
	path   []string
	parent []int32
	count  []int
	leaf   []int32 // per model node: its deepest scope, -1 for none
}

// newScopeTrie builds the trie of the names of the nodes drawn as op
// boxes (not nil, not inlined), in node order: the order of their boxes.
// It reads only the nodes and inline, so that build runs it beside its
// later stages (startScopes).
func newScopeTrie(nodes []*model.Node, inline []bool) *scopeTrie {
	tr := &scopeTrie{leaf: make([]int32, len(nodes))}
	idx := map[string]int32{}
	var ends []int
	last := int32(-1) // the previous node's deepest scope
	for i, n := range nodes {
		tr.leaf[i] = -1
		if n == nil || inline[i] {
			continue
		}
		ends = scopeEnds(n.Name, ends)
		if len(ends) == 0 {
			continue
		}
		// Neighbouring nodes mostly share their scope: compared first,
		// it saves most lookups.
		leaf := n.Name[:ends[len(ends)-1]]
		id := last
		if id < 0 || tr.path[id] != leaf {
			var ok bool
			if id, ok = idx[leaf]; !ok {
				id = tr.add(idx, n.Name, ends)
			}
		}
		last = id
		tr.leaf[i] = id
		for p := id; p >= 0; p = tr.parent[p] {
			tr.count[p]++
		}
	}
	return tr
}

// add creates the scopes of name (ending at ends) not yet in idx below the
// longest one that is, and returns the deepest.
func (tr *scopeTrie) add(idx map[string]int32, name string, ends []int) int32 {
	k := len(ends) - 1
	parent := int32(-1)
	for k--; k >= 0; k-- {
		if p, ok := idx[name[:ends[k]]]; ok {
			parent = p
			break
		}
	}
	for k++; k < len(ends); k++ {
		p := name[:ends[k]]
		idx[p] = int32(len(tr.path))
		tr.path = append(tr.path, p)
		tr.parent = append(tr.parent, parent)
		tr.count = append(tr.count, 0)
		parent = int32(len(tr.path) - 1)
	}
	return parent
}

// keep decides which scopes become groups: those with at least two ops
// that are neither (almost) the whole graph — a wrapper such as "/model"
// only costs a frame — nor the same set as their parent. It returns, per
// scope, the group of it or of its nearest kept ancestor (-1 for none),
// and the number of groups.
func (tr *scopeTrie) keep(ops int) (near []int32, kept int) {
	near = make([]int32, len(tr.path))
	for i, c := range tr.count {
		p := tr.parent[i]
		near[i] = -1
		if p >= 0 {
			near[i] = near[p] // parents come first: already decided
		}
		if c >= 2 && c*20 < ops*19 && (p < 0 || tr.count[p] != c) {
			near[i] = int32(kept)
			kept++
		}
	}
	return near, kept
}

// newGroupTree makes a tree of n groups, sized in one go.
func newGroupTree(n int) *groupTree {
	return &groupTree{
		path:     make([]string, 0, n),
		ids:      make([]string, 0, n),
		label:    make([]string, 0, n),
		parent:   make([]int32, 0, n),
		depth:    make([]int32, 0, n),
		count:    make([]int, 0, n),
		direct:   make([]int, n),
		children: make([][]int32, n),
		chain:    make([][]int32, 0, n),
	}
}

// fill adds the kept scopes of tr as groups, in trie order. The chains
// share one array.
func (t *groupTree) fill(tr *scopeTrie, near []int32) {
	var chains []int32
	for i, p := range tr.parent {
		g := near[i]
		if g < int32(len(t.path)) { // not kept: a kept one is numbered next
			continue
		}
		kp := int32(-1)
		if p >= 0 {
			kp = near[p]
		}
		path := tr.path[i]
		label := strings.TrimLeft(path, "/")
		depth := int32(0)
		if kp >= 0 {
			label = strings.TrimLeft(path[len(t.path[kp]):], "/.")
			depth = t.depth[kp] + 1
			t.children[kp] = append(t.children[kp], g)
		}
		if cap(chains)-len(chains) < int(depth)+1 {
			chains = make([]int32, 0, max(4096, int(depth)+1))
		}
		start := len(chains)
		if kp >= 0 {
			chains = append(chains, t.chain[kp]...)
		}
		chains = append(chains, g)
		t.path = append(t.path, path)
		t.ids = append(t.ids, "g:"+path)
		t.label = append(t.label, label)
		t.parent = append(t.parent, kp)
		t.depth = append(t.depth, depth)
		t.count = append(t.count, tr.count[i])
		t.chain = append(t.chain, chains[start:len(chains):len(chains)])
	}
}

// groupID is the public ID of group g: "g:" and its path.
func (t *groupTree) groupID(g int32) string { return t.ids[g] }

// visible reports whether group g shows, as a box or a frame, with the
// groups open marks open: every group around it is.
func (t *groupTree) visible(g int32, open []bool) bool {
	if par := t.parent[g]; par >= 0 {
		for _, a := range t.chain[par] {
			if !open[a] {
				return false
			}
		}
	}
	return true
}

// decide returns which groups are expanded. Small graphs open fully; larger
// ones open top-down, breadth first, while the number of visible boxes stays
// within budget; Expanded (with ancestors) and ExpandAll open more,
// Collapsed closes.
func (t *groupTree) decide(opts *Options, ops int) []bool {
	open := make([]bool, t.len())
	if opts.ExpandAll || ops <= opts.collapseAbove() {
		for i := range open {
			open[i] = true
		}
	} else {
		budget := opts.visibleBudget()
		visible := 0
		var queue []int32
		for g := range t.path {
			if t.parent[g] < 0 {
				visible++
				queue = append(queue, int32(g))
			}
		}
		visible += ops - t.sumTopCounts()
		for len(queue) > 0 {
			g := queue[0]
			queue = queue[1:]
			add := t.direct[g] + len(t.children[g]) - 1
			if visible+add <= budget || visible < 8 || t.count[g] <= tinyGroup {
				open[g] = true
				visible += add
				queue = append(queue, t.children[g]...)
			}
		}
	}
	if len(opts.Expanded) > 0 || len(opts.Collapsed) > 0 {
		byID := make(map[string]int32, t.len())
		for g := range t.path {
			byID[t.groupID(int32(g))] = int32(g)
			byID[t.path[g]] = int32(g)
		}
		for _, id := range opts.Expanded {
			if g, ok := byID[id]; ok {
				for _, a := range t.chain[g] {
					open[a] = true
				}
			}
		}
		for _, id := range opts.Collapsed {
			if g, ok := byID[id]; ok {
				open[g] = false
			}
		}
	}
	return open
}

// sumTopCounts is the number of op boxes inside top-level groups.
func (t *groupTree) sumTopCounts() int {
	n := 0
	for g := range t.path {
		if t.parent[g] < 0 {
			n += t.count[g]
		}
	}
	return n
}
