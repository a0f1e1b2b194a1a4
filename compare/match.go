package compare

import (
	"cmp"
	"math"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// Thresholds a structural pair must reach. A named node in graphs whose
// names are stable must look like a rename in place (strict); nameless
// nodes and nodes of graphs with unstable names need less evidence.
const (
	strictScore = 0.8
	looseScore  = 0.5
	window      = 8  // candidates either side in the positional pass
	maxFan      = 64 // wider fan-outs are left to the positional pass
)

// matcher pairs the nodes of two indexes.
type matcher struct {
	a, b   *index
	cross  bool // different formats: compare ops and sizes, not spellings
	stable bool // names identify nodes
	queue  [][2]int
}

// run matches by name, then by unique signature, then by propagation
// along edges from matched pairs, then (across formats) by aligning op
// sequences, then by position within each op.
func (m *matcher) run() {
	m.byName()
	m.bySignature()
	m.propagate()
	if m.cross {
		m.byAlignment()
		m.propagate()
	}
	m.byPosition()
	m.propagate()
}

// pair records a match.
func (m *matcher) pair(i, j int, s float64) {
	m.a.nodes[i].match, m.a.nodes[i].score = j, s
	m.b.nodes[j].match, m.b.nodes[j].score = i, s
	m.queue = append(m.queue, [2]int{i, j})
}

// byName pairs nodes whose unique names agree. Names count as stable when
// they pair at least half the smaller graph; unstable names pair only
// nodes of the same op.
func (m *matcher) byName() {
	common := 0
	for name := range m.a.byName {
		if _, ok := m.b.byName[name]; ok {
			common++
		}
	}
	m.stable = common > 0 && 2*common >= min(len(m.a.nodes), len(m.b.nodes))
	for i := range m.a.nodes {
		name := m.a.nodes[i].n.Name
		j, ok := m.b.byName[name]
		if !ok || m.a.byName[name] != i {
			continue
		}
		if m.stable || m.a.nodes[i].op == m.b.nodes[j].op {
			m.pair(i, j, 1)
		}
	}
}

// bySignature pairs unmatched nodes whose op-and-neighbours signature is
// unique in both graphs.
func (m *matcher) bySignature() {
	count := func(x *index) map[uint64][]int {
		c := map[uint64][]int{}
		for i := range x.nodes {
			if x.nodes[i].match < 0 {
				c[x.nodes[i].sig] = append(c[x.nodes[i].sig], i)
			}
		}
		return c
	}
	ca, cb := count(m.a), count(m.b)
	for i := range m.a.nodes {
		nd := &m.a.nodes[i]
		if nd.match >= 0 || len(ca[nd.sig]) != 1 || len(cb[nd.sig]) != 1 {
			continue
		}
		j := cb[nd.sig][0]
		if s := m.score(i, j); s >= m.threshold(i, j) {
			m.pair(i, j, s)
		}
	}
}

// propagate extends matched pairs to their unmatched neighbours.
func (m *matcher) propagate() {
	for len(m.queue) > 0 {
		p := m.queue[len(m.queue)-1]
		m.queue = m.queue[:len(m.queue)-1]
		an, bn := &m.a.nodes[p[0]], &m.b.nodes[p[1]]
		m.extend(an.preds, bn.preds)
		m.extend(an.succs, bn.succs)
	}
}

// extend pairs each unmatched node of as with its best unmatched
// counterpart in bs.
func (m *matcher) extend(as, bs []int) {
	if len(as) > maxFan || len(bs) > maxFan {
		return
	}
	for _, i := range as {
		if m.a.nodes[i].match >= 0 {
			continue
		}
		best, bestScore := -1, 0.0
		for _, j := range bs {
			if m.b.nodes[j].match >= 0 {
				continue
			}
			if s := m.score(i, j); s > bestScore && s >= m.threshold(i, j) {
				best, bestScore = j, s
			}
		}
		if best >= 0 {
			m.pair(i, best, bestScore)
		}
	}
}

// byPosition pairs what is left op by op, in data-path order, looking at
// a window of candidates around the proportional place.
func (m *matcher) byPosition() {
	ga, gb := m.unmatchedByOp(m.a), m.unmatchedByOp(m.b)
	ops := make([]string, 0, len(ga))
	for op := range ga {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	for _, op := range ops {
		as, bs := ga[op], gb[op]
		if len(bs) == 0 {
			continue
		}
		for k, i := range as {
			c := k * len(bs) / len(as)
			best, bestScore := -1, 0.0
			for _, j := range bs[max(0, c-window):min(len(bs), c+window+1)] {
				if m.b.nodes[j].match >= 0 {
					continue
				}
				if s := m.score(i, j); s > bestScore && s >= m.threshold(i, j) {
					best, bestScore = j, s
				}
			}
			if best >= 0 {
				m.pair(i, best, bestScore)
			}
		}
	}
}

// unmatchedByOp groups unmatched nodes by op, each group in position order.
func (m *matcher) unmatchedByOp(x *index) map[string][]int {
	g := map[string][]int{}
	for i := range x.nodes {
		if x.nodes[i].match < 0 {
			g[x.nodes[i].op] = append(g[x.nodes[i].op], i)
		}
	}
	for _, is := range g {
		slices.SortStableFunc(is, func(p, q int) int { return cmp.Compare(x.nodes[p].pos, x.nodes[q].pos) })
	}
	return g
}

// threshold is the score a pair needs.
func (m *matcher) threshold(i, j int) float64 {
	if m.stable && m.a.nodes[i].n.Name != "" && m.b.nodes[j].n.Name != "" {
		return strictScore
	}
	return looseScore
}

// score rates how alike two nodes are in [0, 1]: 0 for different ops;
// otherwise agreement of matched neighbours (0.4), equal neighbour
// signature (0.2), equal output type (0.1), alike weights (0.1) and
// closeness along the data path (0.2).
func (m *matcher) score(i, j int) float64 {
	an, bn := &m.a.nodes[i], &m.b.nodes[j]
	if an.op != bn.op {
		return 0
	}
	s := 0.4 * m.neighbours(an, bn)
	if an.sig == bn.sig {
		s += 0.2
	}
	if m.cross || an.shape == bn.shape {
		s += 0.1
	}
	if weightsAlike(an.weights, bn.weights, m.cross) {
		s += 0.1
	}
	return s + 0.2*(1-math.Abs(an.pos-bn.pos))
}

// neighbours is the share of neighbours whose matches are neighbours of
// the other node on the same side (1 for two isolated nodes).
func (m *matcher) neighbours(an, bn *node) float64 {
	total := max(len(an.preds)+len(an.succs), len(bn.preds)+len(bn.succs))
	if total == 0 {
		return 1
	}
	agree := m.agree(an.preds, bn.preds) + m.agree(an.succs, bn.succs)
	return float64(min(agree, total)) / float64(total)
}

// agree counts the nodes of as whose matches are in bs; wide lists are
// looked up through a set, so a hostile fan-in stays linear.
func (m *matcher) agree(as, bs []int) int {
	in := func(q int) bool { return slices.Contains(bs, q) }
	if len(bs) > maxFan {
		set := make(map[int]bool, len(bs))
		for _, j := range bs {
			set[j] = true
		}
		in = func(q int) bool { return set[q] }
	}
	n := 0
	for _, p := range as {
		if q := m.a.nodes[p].match; q >= 0 && in(q) {
			n++
		}
	}
	return n
}

// weightsAlike says whether two nodes hold the same number of weights of
// the same shapes (of the same sizes across formats).
func weightsAlike(a, b []*model.Tensor, cross bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if cross {
			na, _ := model.NumElements(a[k].Shape)
			nb, _ := model.NumElements(b[k].Shape)
			if na != nb {
				return false
			}
		} else if !slices.Equal(a[k].Shape, b[k].Shape) {
			return false
		}
	}
	return true
}
