package layout

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Dummy nodes of long edges are bounded by dummyBase + dummyFactor×(nodes +
// edges), at most maxDummies; beyond it the longest edges are drawn as
// straight lines outside the layering.
const (
	// isolatedWrap is the number of isolated nodes above which they are
	// stacked over several layers.
	isolatedWrap = 16
	dummyBase    = 100_000
	dummyFactor  = 2
	maxDummies   = 1_500_000
)

// engine is the layered (Sugiyama) layout of a plain directed graph: nodes
// 0..n-1 with sizes and an ordering group each, edges ef[i]→et[i]. Every
// phase is linear or n·log n in nodes plus dummy nodes.
type engine struct {
	ctx context.Context

	n    int       // real nodes
	w, h []float64 // sizes, then dummies (0×0)
	grp  []int32   // ordering group (-1: top level), then dummies' groups
	// Group hierarchy for ordering and spacing.
	gChain  [][]int32
	gDepth  []int32
	pad     float64 // frame padding per group level
	padTop  float64 // extra frame space above a group for its title
	nodeSep float64
	edgeSep float64
	rankSep float64
	sweeps  int // maximum ordering sweeps; 0: none

	ef, et []int32 // input edges

	// Derived.
	rev     []bool  // edge reversed to break a cycle
	self    []bool  // self-loop
	skip    []bool  // too long for dummies: routed straight
	dummy0  []int32 // first dummy of each edge
	ndum    []int32 // dummies of each edge
	rank    []int32 // per node incl. dummies
	border  []int8  // per node: -1 left / +1 right group border, else 0; nil if none
	nn      int     // nodes incl. dummies
	predOff []int32 // CSR of neighbours one layer up, sorted by position
	pred    []int32
	succOff []int32 // CSR of neighbours one layer down
	succ    []int32
	layers  [][]int32
	pos     []int32
	x       []float64 // centre x
	y       []float64 // top y
	rankTop []float64
	rankH   []float64

	crossings int
}

func (e *engine) checkCtx() error {
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("layout cancelled: %w", err)
	}
	return nil
}

// run executes every phase.
func (e *engine) run() error {
	if e.n == 0 {
		return nil
	}
	clk := startClock(e.ctx)
	e.acyclic()
	clk.lap(stAcyclic)
	if err := e.checkCtx(); err != nil {
		return err
	}
	e.assignRanks()
	clk.lap(stRanks)
	if err := e.checkCtx(); err != nil {
		return err
	}
	e.makeDummies()
	clk.lap(stDummies)
	if err := e.checkCtx(); err != nil {
		return err
	}
	if err := e.order(); err != nil {
		return err
	}
	clk.lap(stOrder)
	if err := e.position(); err != nil {
		return err
	}
	clk.lap(stPosition)
	e.vertical()
	clk.lap(stVertical)
	return nil
}

// orient returns edge i as drawn top to bottom.
func (e *engine) orient(i int) (int32, int32) {
	if e.rev[i] {
		return e.et[i], e.ef[i]
	}
	return e.ef[i], e.et[i]
}

// csr builds a compressed adjacency of the non-self, non-reversed-aware
// edges: out (forward) or in.
func csr(n int, from, to []int32, keep func(i int) bool) (off, adj []int32) {
	off = make([]int32, n+1)
	for i := range from {
		if keep(i) {
			off[from[i]+1]++
		}
	}
	for i := 0; i < n; i++ {
		off[i+1] += off[i]
	}
	adj = make([]int32, off[n])
	fill := slices.Clone(off[:n])
	for i := range from {
		if keep(i) {
			adj[fill[from[i]]] = to[i]
			fill[from[i]]++
		}
	}
	return off, adj
}

// acyclic marks self-loops and reverses DFS back edges (iterative DFS from
// every node in index order).
func (e *engine) acyclic() {
	m := len(e.ef)
	e.rev = make([]bool, m)
	e.self = make([]bool, m)
	for i := range e.ef {
		e.self[i] = e.ef[i] == e.et[i]
	}
	// Out-adjacency as edge ids.
	off := make([]int32, e.n+1)
	for i := range e.ef {
		if !e.self[i] {
			off[e.ef[i]+1]++
		}
	}
	for i := 0; i < e.n; i++ {
		off[i+1] += off[i]
	}
	adj := make([]int32, off[e.n])
	fill := slices.Clone(off[:e.n])
	for i := range e.ef {
		if !e.self[i] {
			adj[fill[e.ef[i]]] = int32(i)
			fill[e.ef[i]]++
		}
	}
	state := make([]uint8, e.n) // 0 new, 1 on stack, 2 done
	cursor := make([]int32, e.n)
	var stack []int32
	for s := 0; s < e.n; s++ {
		if state[s] != 0 {
			continue
		}
		stack = append(stack[:0], int32(s))
		state[s] = 1
		cursor[s] = off[s]
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			if cursor[v] == off[v+1] {
				state[v] = 2
				stack = stack[:len(stack)-1]
				continue
			}
			ei := adj[cursor[v]]
			cursor[v]++
			u := e.et[ei]
			switch state[u] {
			case 0:
				state[u] = 1
				cursor[u] = off[u]
				stack = append(stack, u)
			case 1:
				e.rev[ei] = true
			}
		}
	}
}

// assignRanks gives every real node a layer (rank 0 at the top): longest
// path layering, then sources and nodes with more outgoing than incoming
// edges are pushed down to just above their first consumer (constants and
// side inputs sit next to where they are used), many isolated nodes are
// stacked in a block, and ranks are shifted to start at 0. In: the edges
// as oriented by acyclic. Out: e.rank for nodes 0..n-1.
func (e *engine) assignRanks() {
	g := e.rankGraph()
	rank, topo := e.longestPath(g)
	e.pushDown(g, rank, topo)
	wrapIsolated(g, rank)
	minRank := int32(-1)
	for _, r := range rank {
		if minRank < 0 || r < minRank {
			minRank = r
		}
	}
	for i := range rank {
		rank[i] -= minRank
	}
	e.rank = rank
}

// rankGraph is the oriented graph without self-loops as out- and
// in-adjacency (CSR: the successors of v are out[outOff[v]:outOff[v+1]]).
type rankGraph struct {
	n           int
	outOff, out []int32
	inOff       []int32
}

// rankGraph builds the oriented graph assignRanks works on.
func (e *engine) rankGraph() *rankGraph {
	from := make([]int32, 0, len(e.ef))
	to := make([]int32, 0, len(e.ef))
	for i := range e.ef {
		if e.self[i] {
			continue
		}
		u, v := e.orient(i)
		from, to = append(from, u), append(to, v)
	}
	all := func(int) bool { return true }
	g := &rankGraph{n: e.n}
	g.outOff, g.out = csr(e.n, from, to, all)
	g.inOff, _ = csr(e.n, to, from, all)
	return g
}

// span is the rank distance an edge a→b needs: an edge into or out of a
// group is two ranks long, so that a group's frame does not share a rank
// with its neighbours'.
func (e *engine) span(a, b int32) int32 {
	if e.grp[a] != e.grp[b] {
		return 2
	}
	return 1
}

// longestPath ranks every node one span below its lowest predecessor, in
// topological order (Kahn). Out: the ranks and the topological order.
func (e *engine) longestPath(g *rankGraph) (rank, topo []int32) {
	n := g.n
	indeg := make([]int32, n)
	for v := 0; v < n; v++ {
		indeg[v] = g.inOff[v+1] - g.inOff[v]
	}
	topo = make([]int32, 0, n)
	for v := 0; v < n; v++ {
		if indeg[v] == 0 {
			topo = append(topo, int32(v))
		}
	}
	rank = make([]int32, n)
	for i := 0; i < len(topo); i++ {
		v := topo[i]
		for _, u := range g.out[g.outOff[v]:g.outOff[v+1]] {
			if r := rank[v] + e.span(v, u); r > rank[u] {
				rank[u] = r
			}
			indeg[u]--
			if indeg[u] == 0 {
				topo = append(topo, u)
			}
		}
	}
	return rank, topo
}

// pushDown moves every node with at least as many outgoing as incoming
// edges down to just above its first consumer, in reverse topological
// order.
func (e *engine) pushDown(g *rankGraph, rank, topo []int32) {
	for i := len(topo) - 1; i >= 0; i-- {
		v := topo[i]
		nout := g.outOff[v+1] - g.outOff[v]
		if nout == 0 {
			continue
		}
		nin := g.inOff[v+1] - g.inOff[v]
		if nout < nin {
			continue
		}
		target := int32(math.MaxInt32)
		for _, u := range g.out[g.outOff[v]:g.outOff[v+1]] {
			target = min(target, rank[u]-e.span(v, u))
		}
		if target > rank[v] {
			rank[v] = target
		}
	}
}

// wrapIsolated stacks the isolated nodes in a square-ish block of ranks
// when there are more than isolatedWrap of them: many (weights-only
// files) would otherwise make one very wide layer.
func wrapIsolated(g *rankGraph, rank []int32) {
	var iso []int32
	for v := 0; v < g.n; v++ {
		if g.outOff[v+1] == g.outOff[v] && g.inOff[v+1] == g.inOff[v] {
			iso = append(iso, int32(v))
		}
	}
	if len(iso) > isolatedWrap {
		cols := int(math.Ceil(math.Sqrt(float64(len(iso)))))
		for k, v := range iso {
			rank[v] = int32(k / cols)
		}
	}
}

// makeDummies breaks every edge spanning several ranks into unit segments
// through dummy nodes (edges too long for the dummy budget are skipped,
// routed straight), adds the group border chains, and builds the
// layer-to-layer adjacency. In: ranks of the real nodes. Out: dummies
// appended to every per-node slice, e.dummy0/e.ndum/e.skip per edge, and
// the succ/pred CSR.
func (e *engine) makeDummies() {
	m := len(e.ef)
	e.skip = make([]bool, m)
	e.dummy0 = make([]int32, m)
	e.ndum = make([]int32, m)
	total := e.skipLongEdges()
	minR, maxR := e.groupRanks()
	need, borders := e.borderGroups(minR, maxR)
	// Sized once for the dummies and the borders: growing these arrays
	// (a node's each) step by step copied them several times over.
	e.nn = e.n + total
	e.w = append(slices.Grow(e.w, total+borders), make([]float64, total)...)
	e.h = append(slices.Grow(e.h, total+borders), make([]float64, total)...)
	e.grp = append(slices.Grow(e.grp, total+borders), make([]int32, total)...)
	e.rank = append(slices.Grow(e.rank, total+borders), make([]int32, total)...)
	segFrom, segTo := e.segments(minR, maxR, total+borders)
	segFrom, segTo = e.addBorders(minR, maxR, need, borders, segFrom, segTo)
	all := func(int) bool { return true }
	e.succOff, e.succ = csr(e.nn, segFrom, segTo, all)
	e.predOff, e.pred = csr(e.nn, segTo, segFrom, all)
}

// skipLongEdges marks the longest edges e.skip until the dummy nodes of
// the others fit the budget (dummyBase + dummyFactor×(nodes + edges), at
// most maxDummies), and returns how many dummies the others need.
func (e *engine) skipLongEdges() int {
	m := len(e.ef)
	total := 0
	for i := 0; i < m; i++ {
		if e.self[i] {
			continue
		}
		u, v := e.orient(i)
		total += int(e.rank[v] - e.rank[u] - 1)
	}
	limit := min(maxDummies, dummyBase+dummyFactor*(e.n+m))
	if total <= limit {
		return total
	}
	idx := make([]int32, 0, m)
	for i := 0; i < m; i++ {
		if !e.self[i] {
			idx = append(idx, int32(i))
		}
	}
	span := func(i int32) int32 {
		u, v := e.orient(int(i))
		return e.rank[v] - e.rank[u]
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return int(span(b) - span(a)) })
	for _, i := range idx {
		if total <= limit {
			break
		}
		e.skip[i] = true
		total -= int(span(i) - 1)
	}
	return total
}

// segments makes the dummy nodes (numbered from e.n, ranked and grouped:
// see dummyGroup) and returns the unit segments of every drawn edge, from
// the top, with room for as many more as room (the dummies' and the
// borders').
func (e *engine) segments(minR, maxR []int32, room int) (segFrom, segTo []int32) {
	m := len(e.ef)
	segFrom = make([]int32, 0, m+room)
	segTo = make([]int32, 0, m+room)
	next := int32(e.n)
	for i := 0; i < m; i++ {
		e.dummy0[i] = -1
		if e.self[i] || e.skip[i] {
			continue
		}
		u, v := e.orient(i)
		k := e.rank[v] - e.rank[u] - 1
		prev := u
		if k > 0 {
			g := e.lca(e.grp[u], e.grp[v])
			e.dummy0[i], e.ndum[i] = next, k
			for j := int32(0); j < k; j++ {
				d := next
				next++
				e.rank[d] = e.rank[u] + 1 + j
				e.grp[d] = e.dummyGroup(e.grp[u], e.grp[v], g, e.rank[d], minR, maxR)
				segFrom, segTo = append(segFrom, prev), append(segTo, d)
				prev = d
			}
		}
		segFrom, segTo = append(segFrom, prev), append(segTo, v)
	}
	return segFrom, segTo
}

// addBorders gives every group that shares ranks with a sibling group a
// left and a right border node in each of its ranks, chained from rank to
// rank: ordering keeps them at the ends of the group's block and the
// alignment draws each chain straight, so sibling frames become disjoint
// rectangles (dagre does the same for clusters). In: the groups that need
// borders and how many border nodes they take (borderGroups). Out: the
// segments with the border chains added.
func (e *engine) addBorders(minR, maxR []int32, need []bool, count int, segFrom, segTo []int32) ([]int32, []int32) {
	if count == 0 {
		return segFrom, segTo
	}
	e.border = make([]int8, e.nn+count)
	for g := int32(0); g < int32(len(e.gChain)); g++ {
		if !need[g] {
			continue
		}
		for _, side := range [2]int8{-1, 1} {
			prev := int32(-1)
			for r := minR[g]; r <= maxR[g]; r++ {
				d := int32(e.nn)
				e.nn++
				e.w = append(e.w, 0)
				e.h = append(e.h, 0)
				e.grp = append(e.grp, g)
				e.rank = append(e.rank, r)
				e.border[d] = side
				if prev >= 0 {
					segFrom, segTo = append(segFrom, prev), append(segTo, d)
				}
				prev = d
			}
		}
	}
	return segFrom, segTo
}

// borderGroups returns the groups that get border chains (addBorders)
// and the border nodes they take: none when there are no groups, or when
// they would add more than the graph's node count again.
func (e *engine) borderGroups(minR, maxR []int32) (need []bool, count int) {
	if len(e.gChain) == 0 {
		return nil, 0
	}
	need, count = e.overlappingGroups(minR, maxR)
	if count == 0 || count > e.n+borderSlack {
		return nil, 0
	}
	return need, count
}

// overlappingGroups marks the groups whose rank range overlaps a
// sibling's (groups by parent, sorted by first rank) and returns them with
// the number of border nodes they need.
func (e *engine) overlappingGroups(minR, maxR []int32) (need []bool, count int) {
	ng := len(e.gChain)
	parent := func(g int32) int32 {
		if c := e.gChain[g]; len(c) > 1 {
			return c[len(c)-2]
		}
		return -1
	}
	idx := make([]int32, 0, ng)
	for g := 0; g < ng; g++ {
		if maxR[g] >= 0 {
			idx = append(idx, int32(g))
		}
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if pa, pb := parent(a), parent(b); pa != pb {
			return int(pa - pb)
		}
		if minR[a] != minR[b] {
			return int(minR[a] - minR[b])
		}
		return int(a - b)
	})
	need = make([]bool, ng)
	for i := 0; i < len(idx); {
		j := i
		reach, owner := int32(-1), int32(-1)
		for ; j < len(idx) && parent(idx[j]) == parent(idx[i]); j++ {
			g := idx[j]
			if minR[g] <= reach {
				need[g], need[owner] = true, true
			}
			if maxR[g] > reach {
				reach, owner = maxR[g], g
			}
		}
		i = j
	}
	for g := 0; g < ng; g++ {
		if need[g] {
			count += 2 * int(maxR[g]-minR[g]+1)
		}
	}
	return need, count
}

// borderSlack is how many border nodes a graph may get beyond half its
// node count.
const borderSlack = 10_000

// isBorder reports whether v is a group border node.
func (e *engine) isBorder(v int32) bool { return e.border != nil && e.border[v] != 0 }

// groupRanks returns the first and last rank of every group's members.
func (e *engine) groupRanks() (minR, maxR []int32) {
	ng := len(e.gChain)
	minR = make([]int32, ng)
	maxR = make([]int32, ng)
	for g := range minR {
		minR[g], maxR[g] = math.MaxInt32, -1
	}
	for v := 0; v < e.n; v++ {
		if g := e.grp[v]; g >= 0 {
			for _, a := range e.gChain[g] {
				minR[a] = min(minR[a], e.rank[v])
				maxR[a] = max(maxR[a], e.rank[v])
			}
		}
	}
	return minR, maxR
}

// dummyGroup picks the group of a long edge's dummy at rank r: the
// innermost group of the source (then of the target) below their common
// group lca whose ranks span r, so that the edge stays inside the frames it
// leaves or enters; else lca.
func (e *engine) dummyGroup(gu, gv, lca, r int32, minR, maxR []int32) int32 {
	for _, g := range [2]int32{gu, gv} {
		if g < 0 || g == lca {
			continue
		}
		c := e.gChain[g]
		for i := len(c) - 1; i >= 0 && c[i] != lca; i-- {
			if a := c[i]; minR[a] <= r && r <= maxR[a] {
				return a
			}
		}
	}
	return lca
}

// lca returns the lowest common group of a and b (-1: top level).
func (e *engine) lca(a, b int32) int32 {
	if a < 0 || b < 0 {
		return -1
	}
	if a == b {
		return a
	}
	ca, cb := e.gChain[a], e.gChain[b]
	g := int32(-1)
	for i := 0; i < len(ca) && i < len(cb) && ca[i] == cb[i]; i++ {
		g = ca[i]
	}
	return g
}

// isDummy reports whether v is a dummy node.
func (e *engine) isDummy(v int32) bool { return int(v) >= e.n }

// sep is the least distance between the centres of neighbours a, b in a
// layer: half widths, node or edge spacing, and the frames between them.
func (e *engine) sep(a, b int32) float64 {
	s := (e.w[a] + e.w[b]) / 2
	if e.isDummy(a) {
		s += e.edgeSep / 2
	} else {
		s += e.nodeSep / 2
	}
	if e.isDummy(b) {
		s += e.edgeSep / 2
	} else {
		s += e.nodeSep / 2
	}
	ga, gb := e.grp[a], e.grp[b]
	if ga != gb {
		l := e.lca(ga, gb)
		dl := int32(-1)
		if l >= 0 {
			dl = e.gDepth[l]
		}
		levels := int32(0)
		if ga >= 0 {
			levels += e.gDepth[ga] - dl
		}
		if gb >= 0 {
			levels += e.gDepth[gb] - dl
		}
		s += float64(levels) * e.pad
	}
	return s
}
