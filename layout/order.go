package layout

import (
	"cmp"
	"math"
	"slices"
)

// order builds the initial layer orders by depth-first search (which keeps
// the model's order), then runs barycenter sweeps down and up, keeping the
// ordering with the fewest crossings and stopping after four sweeps without
// improvement. Name-scope groups stay contiguous within each layer.
func (e *engine) order() error {
	maxRank := int32(0)
	for _, r := range e.rank {
		maxRank = max(maxRank, r)
	}
	nl := int(maxRank) + 1
	sizes := make([]int32, nl)
	for _, r := range e.rank {
		sizes[r]++
	}
	// Every layer is a slice of one array (a deep graph has tens of
	// thousands of layers), capped so that no append runs into the next.
	e.layers = make([][]int32, nl)
	all := make([]int32, len(e.rank))
	at := int32(0)
	for r := range e.layers {
		e.layers[r] = all[at : at : at+sizes[r]]
		at += sizes[r]
	}
	e.pos = make([]int32, e.nn)
	// Start nodes: real nodes by rank, then index (counting sort).
	starts := make([]int32, 0, e.n)
	cnt := make([]int32, nl+1)
	for v := 0; v < e.n; v++ {
		cnt[e.rank[v]+1]++
	}
	for r := 0; r < nl; r++ {
		cnt[r+1] += cnt[r]
	}
	starts = starts[:e.n]
	for v := 0; v < e.n; v++ {
		r := e.rank[v]
		starts[cnt[r]] = int32(v)
		cnt[r]++
	}
	visited := make([]bool, e.nn)
	var stack []int32
	for _, s := range starts {
		if visited[s] {
			continue
		}
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if visited[v] {
				continue
			}
			visited[v] = true
			r := e.rank[v]
			e.pos[v] = int32(len(e.layers[r]))
			e.layers[r] = append(e.layers[r], v)
			ss := e.succ[e.succOff[v]:e.succOff[v+1]]
			for i := len(ss) - 1; i >= 0; i-- {
				if !visited[ss[i]] {
					stack = append(stack, ss[i])
				}
			}
		}
	}
	// Border chains are reached from their tops.
	for s := int32(e.n); s < int32(e.nn); s++ {
		if visited[s] {
			continue
		}
		for v := s; ; {
			visited[v] = true
			r := e.rank[v]
			e.pos[v] = int32(len(e.layers[r]))
			e.layers[r] = append(e.layers[r], v)
			ss := e.succ[e.succOff[v]:e.succOff[v+1]]
			if len(ss) != 1 || visited[ss[0]] {
				break
			}
			v = ss[0]
		}
	}
	o := newOrderer(e)
	if o.grouped {
		// Make groups contiguous, keeping the DFS order otherwise.
		for _, l := range e.layers {
			for _, v := range l {
				o.bary[v] = float64(e.pos[v])
			}
			o.sortLayer(l)
		}
	}
	best := slices.Clone(e.pos)
	bestCross := e.countCrossings()
	if err := e.checkCtx(); err != nil {
		return err
	}
	stale := 0
	for it := 0; it < e.sweeps && stale < 4 && bestCross > 0; it++ {
		o.biasRight = (it/2)%2 == 1
		if it%2 == 0 {
			for r := 1; r < nl; r++ {
				o.sweepLayer(e.layers[r], e.predOff, e.pred)
			}
		} else {
			for r := nl - 2; r >= 0; r-- {
				o.sweepLayer(e.layers[r], e.succOff, e.succ)
			}
		}
		e.transpose()
		c := e.countCrossings()
		if c < bestCross {
			bestCross = c
			copy(best, e.pos)
			stale = 0
		} else {
			stale++
			if it%2 == 1 {
				// Continue from the best order so far.
				copy(e.pos, best)
				e.layersFromPos()
			}
		}
		if err := e.checkCtx(); err != nil {
			return err
		}
	}
	copy(e.pos, best)
	e.layersFromPos()
	e.crossings = bestCross
	// Neighbour lists sorted by position, for the alignment.
	byPos := func(a, b int32) int { return cmp.Compare(e.pos[a], e.pos[b]) }
	for v := 0; v < e.nn; v++ {
		if p := e.pred[e.predOff[v]:e.predOff[v+1]]; len(p) > 1 {
			slices.SortFunc(p, byPos)
		}
		if s := e.succ[e.succOff[v]:e.succOff[v+1]]; len(s) > 1 {
			slices.SortFunc(s, byPos)
		}
	}
	return nil
}

// orderer holds scratch space for layer sorting.
type orderer struct {
	e       *engine
	bary    []float64
	grouped bool
	// biasRight breaks barycenter ties against the current order
	// (alternated between sweep pairs, as dagre does).
	biasRight bool
	gsum      []float64
	gcnt      []int32
	gmin      []int32
	touched   []int32
}

func newOrderer(e *engine) *orderer {
	o := &orderer{e: e, bary: make([]float64, e.nn)}
	for _, g := range e.grp {
		if g >= 0 {
			o.grouped = true
			break
		}
	}
	if o.grouped {
		ng := len(e.gChain)
		o.gsum = make([]float64, ng)
		o.gcnt = make([]int32, ng)
		o.gmin = make([]int32, ng)
	}
	return o
}

// sweepLayer reorders layer l by the barycenters of its neighbours in the
// fixed adjacent layer (off/adj). A node without neighbours keeps the
// barycenter of the node before it, so it stays where it is.
func (o *orderer) sweepLayer(l []int32, off, adj []int32) {
	if len(l) < 2 {
		return
	}
	e := o.e
	carry := -1.0
	for _, v := range l {
		nb := adj[off[v]:off[v+1]]
		if len(nb) == 0 {
			o.bary[v] = carry
			continue
		}
		s := 0
		for _, u := range nb {
			s += int(e.pos[u])
		}
		carry = float64(s) / float64(len(nb))
		o.bary[v] = carry
	}
	o.sortLayer(l)
}

// sortLayer sorts l by barycenter, ties by current position, keeping
// groups contiguous (a group sorts by the mean barycenter of its members in
// the layer), then renumbers positions.
func (o *orderer) sortLayer(l []int32) {
	e := o.e
	if !o.grouped {
		slices.SortFunc(l, func(a, b int32) int {
			if c := cmp.Compare(o.bary[a], o.bary[b]); c != 0 {
				return c
			}
			if o.biasRight {
				return cmp.Compare(e.pos[b], e.pos[a])
			}
			return cmp.Compare(e.pos[a], e.pos[b])
		})
	} else {
		o.touched = o.touched[:0]
		for _, v := range l {
			g := e.grp[v]
			if g < 0 {
				continue
			}
			for _, a := range e.gChain[g] {
				if o.gcnt[a] == 0 {
					o.touched = append(o.touched, a)
					o.gsum[a] = 0
					o.gmin[a] = e.pos[v]
				}
				o.gcnt[a]++
				o.gsum[a] += o.bary[v]
				o.gmin[a] = min(o.gmin[a], e.pos[v])
			}
		}
		slices.SortFunc(l, o.compareGrouped)
		for _, a := range o.touched {
			o.gcnt[a] = 0
		}
	}
	for i, v := range l {
		e.pos[v] = int32(i)
	}
}

// compareGrouped orders two nodes of a layer by the items that hold them at
// the first level where their group chains differ.
func (o *orderer) compareGrouped(a, b int32) int {
	e := o.e
	var ca, cb []int32
	if g := e.grp[a]; g >= 0 {
		ca = e.gChain[g]
	}
	if g := e.grp[b]; g >= 0 {
		cb = e.gChain[g]
	}
	i := 0
	for i < len(ca) && i < len(cb) && ca[i] == cb[i] {
		i++
	}
	ka, ta := o.bary[a], e.pos[a]
	if i < len(ca) {
		g := ca[i]
		ka, ta = o.gsum[g]/float64(o.gcnt[g]), o.gmin[g]
	} else if e.isBorder(a) {
		ka = math.Inf(int(e.border[a]))
	}
	kb, tb := o.bary[b], e.pos[b]
	if i < len(cb) {
		g := cb[i]
		kb, tb = o.gsum[g]/float64(o.gcnt[g]), o.gmin[g]
	} else if e.isBorder(b) {
		kb = math.Inf(int(e.border[b]))
	}
	if c := cmp.Compare(ka, kb); c != 0 {
		return c
	}
	if o.biasRight {
		return cmp.Compare(tb, ta)
	}
	return cmp.Compare(ta, tb)
}

// countCrossings counts crossings between every pair of adjacent layers
// (Barth–Mutzel: inversions of the lower endpoints in upper order, with a
// Fenwick tree).
func (e *engine) countCrossings() int {
	total := 0
	var south []int32
	var tree []int32
	for r := 0; r+1 < len(e.layers); r++ {
		upper, lower := e.layers[r], e.layers[r+1]
		if len(upper) < 2 && len(lower) < 2 {
			continue
		}
		south = south[:0]
		for _, u := range upper {
			start := len(south)
			if e.isBorder(u) {
				continue // frame sides are not edges
			}
			for _, v := range e.succ[e.succOff[u]:e.succOff[u+1]] {
				south = append(south, e.pos[v])
			}
			if len(south)-start > 1 {
				slices.Sort(south[start:])
			}
		}
		nl := len(lower)
		if cap(tree) < nl+1 {
			tree = make([]int32, nl+1)
		}
		tree = tree[:nl+1]
		clear(tree)
		seen := 0
		for _, p := range south {
			// Count earlier entries strictly greater than p.
			le := 0
			for i := int(p) + 1; i > 0; i -= i & -i {
				le += int(tree[i])
			}
			total += seen - le
			for i := int(p) + 1; i <= nl; i += i & -i {
				tree[i]++
			}
			seen++
		}
	}
	return total
}

// transpose swaps neighbours of the same group in a layer while that
// removes crossings with the layers above and below (a few rounds per
// layer).
func (e *engine) transpose() {
	for _, l := range e.layers {
		for round, improved := 0, true; improved && round < 4; round++ {
			improved = false
			for k := 0; k+1 < len(l); k++ {
				u, v := l[k], l[k+1]
				if e.grp[u] != e.grp[v] || e.isBorder(u) || e.isBorder(v) {
					continue
				}
				if e.pairCrossings(v, u) < e.pairCrossings(u, v) {
					l[k], l[k+1] = v, u
					e.pos[u], e.pos[v] = e.pos[v], e.pos[u]
					improved = true
				}
			}
		}
	}
}

// maxPairWork bounds the neighbour pairs compared for one swap decision.
const maxPairWork = 4096

// pairCrossings counts the crossings between the edges of u and those of v
// when u is left of v, with both adjacent layers.
func (e *engine) pairCrossings(u, v int32) int {
	c := 0
	for _, side := range [2]struct{ off, adj []int32 }{{e.predOff, e.pred}, {e.succOff, e.succ}} {
		nu := side.adj[side.off[u]:side.off[u+1]]
		nv := side.adj[side.off[v]:side.off[v+1]]
		if len(nu)*len(nv) > maxPairWork {
			return 0
		}
		for _, a := range nu {
			pa := e.pos[a]
			for _, b := range nv {
				if pa > e.pos[b] {
					c++
				}
			}
		}
	}
	return c
}

// layersFromPos puts every layer in the order given by pos.
func (e *engine) layersFromPos() {
	var tmp []int32
	for _, l := range e.layers {
		tmp = append(tmp[:0], l...)
		for _, v := range tmp {
			l[e.pos[v]] = v
		}
	}
}
