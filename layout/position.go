package layout

import "math"

// position assigns x coordinates with Brandes–Köpf: type-1 conflicts are
// marked (a long edge's inner segment wins over a crossing short one), four
// vertical alignments (up/down × left/right) are compacted through a block
// graph, aligned to the narrowest one, and each node takes the mean of its
// two median candidates. Chains and long edges come out straight.
func (e *engine) position() error {
	conflict := e.markConflicts()
	// The four alignments only read the layering: they run on up to four
	// goroutines (GOMAXPROCS), each with its own scratch memory.
	var xs [4][]float64
	parallel(4, 1, func(lo, hi int) {
		sc := &alignScratch{}
		for d := lo; d < hi; d++ {
			if e.ctx.Err() != nil {
				return
			}
			xs[d] = e.align(d&1 == 1, d&2 == 2, conflict, sc)
		}
	})
	if err := e.checkCtx(); err != nil {
		return err
	}
	// Align to the narrowest drawing.
	var lo, hi [4]float64
	best := 0
	for d := 0; d < 4; d++ {
		lo[d], hi[d] = math.Inf(1), math.Inf(-1)
		for v := 0; v < e.nn; v++ {
			lo[d] = min(lo[d], xs[d][v]-e.w[v]/2)
			hi[d] = max(hi[d], xs[d][v]+e.w[v]/2)
		}
		if hi[d]-lo[d] < hi[best]-lo[best] {
			best = d
		}
	}
	for d := 0; d < 4; d++ {
		delta := lo[best] - lo[d]
		if d&2 == 2 {
			delta = hi[best] - hi[d]
		}
		if delta != 0 {
			for v := range xs[d] {
				xs[d][v] += delta
			}
		}
	}
	e.x = make([]float64, e.nn)
	parallel(e.nn, parallelChunk, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			c := [4]float64{xs[0][v], xs[1][v], xs[2][v], xs[3][v]}
			sort4(&c)
			e.x[v] = (c[1] + c[2]) / 2
		}
	})
	return nil
}

func sort4(c *[4]float64) {
	for i := 1; i < 4; i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// markConflicts marks type-1 conflicts: a segment that is not inner (not
// between two dummies) crossing an inner segment. The mark is per entry of
// the pred adjacency.
func (e *engine) markConflicts() []bool {
	conflict := make([]bool, len(e.pred))
	for r := 1; r < len(e.layers); r++ {
		prev, l := e.layers[r-1], e.layers[r]
		k0 := int32(0)
		scan := 0
		for l1, v := range l {
			w := int32(-1)
			if e.isDummy(v) {
				for _, p := range e.pred[e.predOff[v]:e.predOff[v+1]] {
					if e.isDummy(p) {
						w = p
					}
				}
			}
			k1 := int32(len(prev))
			if w >= 0 {
				k1 = e.pos[w]
			}
			if w < 0 && l1 != len(l)-1 {
				continue
			}
			for _, u := range l[scan : l1+1] {
				for j := e.predOff[u]; j < e.predOff[u+1]; j++ {
					p := e.pred[j]
					pp := e.pos[p]
					if (pp < k0 || k1 < pp) && !(e.isDummy(p) && e.isDummy(u)) {
						conflict[j] = true
					}
				}
			}
			scan = l1 + 1
			k0 = k1
		}
	}
	return conflict
}

// conflicted reports whether segment upper→lower is marked.
func (e *engine) conflicted(conflict []bool, upper, lower int32) bool {
	for j := e.predOff[lower]; j < e.predOff[lower+1]; j++ {
		if e.pred[j] == upper {
			return conflict[j]
		}
	}
	return false
}

// align computes one of the four Brandes–Köpf candidate x assignments.
// up: align with successors, sweeping from the bottom; right: mirror the
// layers (and negate the result).
func (e *engine) align(up, right bool, conflict []bool, sc *alignScratch) []float64 {
	nn := e.nn
	sc.grow(nn)
	root, alignTo := sc.root, sc.alignTo
	for v := range root {
		root[v], alignTo[v] = int32(v), int32(v)
	}
	tpos := func(v int32) int32 {
		if right {
			return int32(len(e.layers[e.rank[v]])) - 1 - e.pos[v]
		}
		return e.pos[v]
	}
	nl := len(e.layers)
	for li := 0; li < nl; li++ {
		r := li
		if up {
			r = nl - 1 - li
		}
		l := e.layers[r]
		last := int32(-1)
		for k := 0; k < len(l); k++ {
			v := l[k]
			if right {
				v = l[len(l)-1-k]
			}
			var nb []int32
			if up {
				nb = e.succ[e.succOff[v]:e.succOff[v+1]]
			} else {
				nb = e.pred[e.predOff[v]:e.predOff[v+1]]
			}
			d := len(nb)
			if d == 0 {
				continue
			}
			for m := (d - 1) / 2; m <= d/2; m++ {
				if alignTo[v] != v {
					break
				}
				idx := m
				if right {
					idx = d - 1 - m
				}
				u := nb[idx]
				var marked bool
				if up {
					marked = e.conflicted(conflict, v, u)
				} else {
					marked = e.conflicted(conflict, u, v)
				}
				if p := tpos(u); !marked && last < p {
					alignTo[u] = v
					root[v] = root[u]
					alignTo[v] = root[v]
					last = p
				}
			}
		}
	}
	// Block graph: an edge from the root of each node to the root of its
	// right neighbour (in mirrored order when right), weighted by spacing.
	cnt := sc.cnt
	clear(cnt)
	for _, l := range e.layers {
		for k := 0; k+1 < len(l); k++ {
			a := l[k]
			if right {
				a = l[k+1]
			}
			cnt[root[a]+1]++
		}
	}
	for i := 0; i < nn; i++ {
		cnt[i+1] += cnt[i]
	}
	bto := sc.bto[:cnt[nn]]
	bw := sc.bw[:cnt[nn]]
	fill := append(sc.fill[:0], cnt[:nn]...)
	indeg := sc.indeg
	clear(indeg)
	for _, l := range e.layers {
		for k := 0; k+1 < len(l); k++ {
			a, b := l[k], l[k+1]
			if right {
				a, b = b, a
			}
			ra, rb := root[a], root[b]
			bto[fill[ra]] = rb
			bw[fill[ra]] = e.sep(a, b)
			fill[ra]++
			indeg[rb]++
		}
	}
	topo := sc.topo[:0]
	for v := 0; v < nn; v++ {
		if root[v] == int32(v) && indeg[v] == 0 {
			topo = append(topo, int32(v))
		}
	}
	xs := sc.xs
	clear(xs)
	for i := 0; i < len(topo); i++ {
		a := topo[i]
		for j := cnt[a]; j < cnt[a+1]; j++ {
			b := bto[j]
			xs[b] = max(xs[b], xs[a]+bw[j])
			indeg[b]--
			if indeg[b] == 0 {
				topo = append(topo, b)
			}
		}
	}
	// Pull blocks right towards their right neighbours.
	for i := len(topo) - 1; i >= 0; i-- {
		a := topo[i]
		if cnt[a] == cnt[a+1] {
			continue
		}
		m := math.Inf(1)
		for j := cnt[a]; j < cnt[a+1]; j++ {
			m = min(m, xs[bto[j]]-bw[j])
		}
		xs[a] = max(xs[a], m)
	}
	sc.fill, sc.topo = fill, topo
	x := make([]float64, nn)
	for v := 0; v < nn; v++ {
		x[v] = xs[root[v]]
		if right {
			x[v] = -x[v]
		}
	}
	return x
}

// alignScratch is memory reused by the four alignments.
type alignScratch struct {
	root, alignTo, cnt, bto, fill, indeg, topo []int32
	bw, xs                                     []float64
}

func (s *alignScratch) grow(nn int) {
	if len(s.root) >= nn {
		return
	}
	s.root, s.alignTo = make([]int32, nn), make([]int32, nn)
	s.cnt, s.bto = make([]int32, nn+1), make([]int32, nn)
	s.fill, s.indeg, s.topo = make([]int32, 0, nn), make([]int32, nn), make([]int32, 0, nn)
	s.bw, s.xs = make([]float64, nn), make([]float64, nn)
}

// vertical assigns y: each rank is as tall as its tallest node, nodes are
// centred in their rank, and ranks are rankSep apart plus room for the
// frames of groups that start or end there.
func (e *engine) vertical() {
	nl := len(e.layers)
	e.rankH = make([]float64, nl)
	e.rankTop = make([]float64, nl)
	for v := 0; v < e.n; v++ {
		r := e.rank[v]
		e.rankH[r] = max(e.rankH[r], e.h[v])
	}
	starts := make([]int32, nl)
	ends := make([]int32, nl)
	if len(e.gChain) > 0 {
		minR, maxR := e.groupRanks()
		for v := 0; v < e.n; v++ {
			g := e.grp[v]
			if g < 0 {
				continue
			}
			r := e.rank[v]
			var s, t int32
			for _, a := range e.gChain[g] {
				if minR[a] == r {
					s++
				}
				if maxR[a] == r {
					t++
				}
			}
			starts[r] = max(starts[r], s)
			ends[r] = max(ends[r], t)
		}
	}
	y := float64(starts[0]) * (e.pad + e.padTop)
	for r := 0; r < nl; r++ {
		if r > 0 {
			y += e.rankSep + float64(starts[r])*(e.pad+e.padTop) + float64(ends[r-1])*e.pad
		}
		e.rankTop[r] = y
		y += e.rankH[r]
	}
	e.y = make([]float64, e.n)
	for v := 0; v < e.n; v++ {
		r := e.rank[v]
		e.y[v] = e.rankTop[r] + (e.rankH[r]-e.h[v])/2
	}
}

// route appends to buf the polyline of input edge i from its source's
// bottom centre through its dummies to its target's top centre (for a
// reversed edge, the same line walked backwards). Self-loops are left to
// the caller.
func (e *engine) route(i int, buf []float64) []float64 {
	u, v := e.orient(i)
	start := len(buf)
	pts := append(buf, e.x[u], e.y[u]+e.h[u])
	for j := int32(0); j < e.ndum[i]; j++ {
		d := e.dummy0[i] + j
		r := e.rank[d]
		pts = append(pts, e.x[d], e.rankTop[r])
		pts = append(pts, e.x[d], e.rankTop[r]+e.rankH[r])
	}
	pts = append(pts, e.x[v], e.y[v])
	// Drop interior points on a vertical run (long edges are mostly
	// straight): they carry nothing and weigh on the JSON.
	k := start + 2
	for j := start + 2; j+2 < len(pts); j += 2 {
		if pts[j] == pts[k-2] && pts[j] == pts[j+2] {
			continue
		}
		pts[k], pts[k+1] = pts[j], pts[j+1]
		k += 2
	}
	pts[k], pts[k+1] = pts[len(pts)-2], pts[len(pts)-1]
	pts = pts[:k+2]
	if e.rev[i] {
		for a, b := start, len(pts)-2; a < b; a, b = a+2, b-2 {
			pts[a], pts[b] = pts[b], pts[a]
			pts[a+1], pts[b+1] = pts[b+1], pts[a+1]
		}
	}
	return pts
}
