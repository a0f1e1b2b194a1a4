package layout

import "strings"

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
	type tnode struct {
		path   string
		parent int32
		count  int
	}
	var trie []tnode
	idx := map[string]int32{}
	leaf := make([]int32, len(b.boxes))
	var ends []int
	for i := range b.boxes {
		leaf[i] = -1
		bx := &b.boxes[i]
		if bx.kind != KindOp {
			continue
		}
		ends = scopeEnds(bx.name, ends)
		if len(ends) == 0 {
			continue
		}
		deepest := bx.name[:ends[len(ends)-1]]
		id, ok := idx[deepest]
		if !ok {
			// Find the longest existing prefix, then create the rest.
			k := len(ends) - 1
			parent := int32(-1)
			for k--; k >= 0; k-- {
				if p, ok := idx[bx.name[:ends[k]]]; ok {
					parent = p
					break
				}
			}
			for k++; k < len(ends); k++ {
				p := bx.name[:ends[k]]
				idx[p] = int32(len(trie))
				trie = append(trie, tnode{path: p, parent: parent})
				parent = int32(len(trie) - 1)
			}
			id = parent
		}
		leaf[i] = id
		for p := id; p >= 0; p = trie[p].parent {
			trie[p].count++
		}
	}
	// Keep groups with at least two ops that are neither (almost) the whole
	// graph — a wrapper such as "/model" only costs a frame — nor the same
	// set as their parent.
	kept := make([]int32, len(trie))
	t := &groupTree{}
	for i, n := range trie {
		kept[i] = -1
		keep := n.count >= 2 && n.count*20 < b.ops*19 && (n.parent < 0 || trie[n.parent].count != n.count)
		// Nearest kept ancestor (parents come first, so already decided).
		kp := int32(-1)
		if n.parent >= 0 {
			if kept[n.parent] >= 0 {
				kp = kept[n.parent]
			} else {
				kp = -2 // resolved below
			}
		}
		if kp == -2 {
			kp = -1
			for p := n.parent; p >= 0; p = trie[p].parent {
				if kept[p] >= 0 {
					kp = kept[p]
					break
				}
			}
		}
		if !keep {
			continue
		}
		g := int32(len(t.path))
		kept[i] = g
		label := n.path
		if kp >= 0 {
			label = strings.TrimLeft(n.path[len(t.path[kp]):], "/.")
		} else {
			label = strings.TrimLeft(label, "/")
		}
		depth := int32(0)
		var chain []int32
		if kp >= 0 {
			depth = t.depth[kp] + 1
			chain = append(chain, t.chain[kp]...)
			t.children[kp] = append(t.children[kp], g)
		}
		chain = append(chain, g)
		t.path = append(t.path, n.path)
		t.ids = append(t.ids, "g:"+n.path)
		t.label = append(t.label, label)
		t.parent = append(t.parent, kp)
		t.depth = append(t.depth, depth)
		t.count = append(t.count, n.count)
		t.direct = append(t.direct, 0)
		t.children = append(t.children, nil)
		t.chain = append(t.chain, chain)
	}
	// Innermost kept group of every op box.
	for i := range b.boxes {
		g := int32(-1)
		for p := leaf[i]; p >= 0; p = trie[p].parent {
			if kept[p] >= 0 {
				g = kept[p]
				break
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

// groupID is the public ID of group g: "g:" and its path.
func (t *groupTree) groupID(g int32) string { return t.ids[g] }

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
