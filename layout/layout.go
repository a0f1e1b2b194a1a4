package layout

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/modelpeek/modelpeek/model"
)

// Defaults of Options.
const (
	DefaultCollapseAbove = 1500
	DefaultVisibleBudget = 500
	DefaultStubFanout    = 6
	DefaultSweeps        = 12
)

// Spacing of the drawing, in CSS pixels.
const (
	nodeSep   = 20
	edgeSep   = 10
	rankSep   = 30
	framePad  = 10
	margin    = 20
	loopReach = 14
)

// Options control a layout.
type Options struct {
	// ExpandAll opens every group (the page's expand=all).
	ExpandAll bool
	// Expanded lists group IDs to open (with their ancestors); others start
	// collapsed when the graph has more than CollapseAbove nodes.
	Expanded []string
	// Collapsed lists group IDs to close even if they would start open.
	Collapsed []string
	// CollapseAbove is the node count above which groups start collapsed;
	// 0 means DefaultCollapseAbove.
	CollapseAbove int
	// VisibleBudget is how many boxes a large graph opens with: groups are
	// opened top-down while the drawing stays within it; 0 means
	// DefaultVisibleBudget.
	VisibleBudget int
	// StubFanout is the consumer count above which a value is drawn as one
	// stub per consumer instead of long edges from its source; 0 means
	// DefaultStubFanout, negative disables stubs.
	StubFanout int
	// Sweeps bounds the crossing-reduction sweeps; 0 means DefaultSweeps,
	// negative disables crossing reduction (the plain depth-first order).
	Sweeps int
	// ShowNames adds each node's name as a text line under its op type.
	ShowNames bool
}

func (o *Options) collapseAbove() int {
	if o.CollapseAbove > 0 {
		return o.CollapseAbove
	}
	return DefaultCollapseAbove
}

func (o *Options) visibleBudget() int {
	if o.VisibleBudget > 0 {
		return o.VisibleBudget
	}
	return DefaultVisibleBudget
}

func (o *Options) stubFanout() int {
	switch {
	case o.StubFanout > 0:
		return o.StubFanout
	case o.StubFanout < 0:
		return 0
	}
	return DefaultStubFanout
}

func (o *Options) sweeps() int {
	switch {
	case o.Sweeps > 0:
		return o.Sweeps
	case o.Sweeps < 0:
		return 0
	}
	return DefaultSweeps
}

// Layout lays out g as a layered drawing, data flowing downwards. Weights
// and single-use constants are drawn inside their consumer, values with
// many consumers as per-consumer stubs, and name-scope groups collapse on
// large graphs (see Options). It is deterministic: the same graph and
// options give the same View. It honours ctx between phases.
func Layout(ctx context.Context, g *model.Graph, opts Options) (*View, error) {
	start := time.Now()
	p, err := Prepare(ctx, g, opts)
	if err != nil {
		return nil, err
	}
	return p.layout(ctx, opts, start)
}

// Prepared is a graph reduced to boxes, connections and name-scope groups,
// ready to be laid out many times with different groups open: keep one per
// model version and call its Layout on every expand or collapse, which
// then skips the work proportional to the whole graph's text. It is safe
// for concurrent use; the graph must not change while it is in use.
type Prepared struct {
	g         *model.Graph
	b         *built
	gt        *groupTree
	showNames bool
	fanout    int
	// gParams and gBytes are each group's weights (groupSizes).
	gParams, gBytes []int64
}

// Prepare reduces g for Layout with opts' ShowNames and StubFanout (the
// other options are free to vary between layouts).
func Prepare(ctx context.Context, g *model.Graph, opts Options) (*Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("layout cancelled: %w", err)
	}
	p := &Prepared{g: g, showNames: opts.ShowNames, fanout: opts.stubFanout()}
	if g == nil {
		return p, nil
	}
	clk := startClock(ctx)
	b, err := build(ctx, g, &opts, Metric())
	if err != nil {
		return nil, err
	}
	clk.lap(stBuild)
	p.b, p.gt = b, buildGroups(b)
	p.gParams, p.gBytes = groupSizes(b, p.gt)
	b.inFlat, b.inOff = nil, nil
	clk.lap(stGroups)
	return p, nil
}

// Layout lays out the prepared graph as the package's Layout would. When
// opts asks for other names or stubs than the graph was prepared with, it
// prepares the graph again.
func (p *Prepared) Layout(ctx context.Context, opts Options) (*View, error) {
	start := time.Now()
	if opts.ShowNames != p.showNames || opts.stubFanout() != p.fanout {
		q, err := Prepare(ctx, p.g, opts)
		if err != nil {
			return nil, err
		}
		p = q
	}
	return p.layout(ctx, opts, start)
}

// layout lays out the prepared graph with the groups opts opens. Its
// stages, in order: decide which groups are open, collect the visible
// boxes (visibleBoxes), size them (newEngine), merge connections into
// drawn and layout edges (drawnEdges), run the layered engine (break
// cycles, layers, ordering, coordinates), then turn the engine's result
// into the View's nodes (placeNodes), edge routes (routeEdges) and group
// frames (placeGroups).
func (p *Prepared) layout(ctx context.Context, opts Options, start time.Time) (*View, error) {
	m := Metric()
	v := &View{Nodes: []Node{}, Edges: []Edge{}, Groups: []Group{}, Metric: m}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("layout cancelled: %w", err)
	}
	if p.g == nil {
		return v, nil
	}
	clk := startClock(ctx)
	open := p.gt.decide(&opts, p.b.ops)
	vis := p.visibleBoxes(open)
	e := p.newEngine(ctx, &opts, m, vis)
	edges := p.drawnEdges(vis, e)
	clk.lap(stVisible)
	if err := e.run(); err != nil {
		return nil, err
	}
	clk = startClock(ctx)
	p.placeNodes(v, vis, e, m)
	clk.lap(stPlace)
	p.routeEdges(v, vis, edges, e)
	clk.lap(stRoute)
	p.placeGroups(v, vis, open, e, m)
	normalize(v)
	clk.lap(stFrames)
	v.Stats.TotalNodes = len(p.g.Nodes)
	v.Stats.InlinedNodes = p.b.inlined
	v.Stats.Crossings = e.crossings
	v.Stats.Layers = len(e.layers)
	v.Stats.LayoutMillis = float64(time.Since(start).Microseconds()) / 1000
	return v, nil
}

// visible is the set of layout nodes of one layout: the boxes outside
// collapsed groups and one box per outermost collapsed group.
type visible struct {
	box       []int32    // layout node → box index, or -1-group for a collapsed group
	group     []int32    // layout node → ordering group (-1: top level)
	rep       []int32    // box → the layout node that stands for it
	groupNode []int32    // group → its layout node when drawn collapsed, else -1
	lines     [][]string // group → the text lines of its collapsed box
}

// isGroup reports whether layout node k is a collapsed group.
func (vis *visible) isGroup(k int32) bool { return vis.box[k] < 0 }

// visibleBoxes collects the layout nodes for the groups marked in open: a
// box inside a collapsed group is represented by the outermost collapsed
// group's box. In: the prepared boxes and group tree. Out: the visible
// set, without group lines (newEngine sets them).
func (p *Prepared) visibleBoxes(open []bool) *visible {
	b, gt := p.b, p.gt
	ng := gt.len()
	vis := &visible{groupNode: make([]int32, ng), rep: make([]int32, len(b.boxes)), lines: make([][]string, ng)}
	for i := range vis.groupNode {
		vis.groupNode[i] = -1
	}
	for i := range b.boxes {
		bx := &b.boxes[i]
		closed := int32(-1)
		if bx.group >= 0 {
			for _, a := range gt.chain[bx.group] {
				if !open[a] {
					closed = a
					break
				}
			}
		}
		if closed < 0 {
			vis.rep[i] = int32(len(vis.box))
			vis.box = append(vis.box, int32(i))
			vis.group = append(vis.group, bx.group)
			continue
		}
		if vis.groupNode[closed] < 0 {
			vis.groupNode[closed] = int32(len(vis.box))
			vis.box = append(vis.box, -1-closed)
			vis.group = append(vis.group, gt.parent[closed])
		}
		vis.rep[i] = vis.groupNode[closed]
	}
	return vis
}

// newEngine makes the layered engine for the visible nodes and sizes them:
// a box keeps its prepared size, a collapsed group gets a box for its
// label and member count (stored in vis.lines). Out: an engine with nodes
// and sizes but no edges yet.
func (p *Prepared) newEngine(ctx context.Context, opts *Options, m TextMetric, vis *visible) *engine {
	b, gt := p.b, p.gt
	n := len(vis.box)
	e := &engine{ctx: ctx, n: n, w: make([]float64, n), h: make([]float64, n), grp: vis.group,
		gChain: gt.chain, gDepth: gt.depth, pad: framePad, padTop: m.LineHeight,
		nodeSep: nodeSep, edgeSep: edgeSep, rankSep: rankSep, sweeps: opts.sweeps()}
	for k, bi := range vis.box {
		if bi >= 0 {
			e.w[k], e.h[k] = b.boxes[bi].w, b.boxes[bi].h
			continue
		}
		gi := -1 - bi
		vis.lines[gi] = []string{strconv.Itoa(gt.count[gi]) + " nodes"}
		if l := sizeLine(p.gParams[gi], p.gBytes[gi]); l != "" {
			vis.lines[gi] = append(vis.lines[gi], l)
		}
		e.w[k], e.h[k] = m.size(clip(gt.label[gi], m.MaxChars), vis.lines[gi])
	}
	return e
}

// vedge is a drawn edge between layout nodes a and b carrying value v
// (values of them when merged at a collapsed group), drawn along layout
// edge layout (-1 for a self-loop).
type vedge struct {
	a, b, v int32
	values  int
	layout  int32
}

// connsByTarget buckets the connections by the layout node of their
// target: the connections into node t are bucket[off[t]:off[t+1]].
func (p *Prepared) connsByTarget(vis *visible) (off, bucket []int32) {
	n := len(vis.box)
	off = make([]int32, n+1)
	for _, c := range p.b.conns {
		off[vis.rep[c.to]+1]++
	}
	for k := 0; k < n; k++ {
		off[k+1] += off[k]
	}
	bucket = make([]int32, len(p.b.conns))
	fill := slices.Clone(off[:n])
	for ci, c := range p.b.conns {
		t := vis.rep[c.to]
		bucket[fill[t]] = int32(ci)
		fill[t]++
	}
	return off, bucket
}

// drawnEdges merges the connections into drawn edges: one per (from, to,
// value) between plain boxes, one per (from, to) when a collapsed group is
// involved. It adds one layout edge per (from, to) to e. Duplicates are
// found with a stamp per source while walking the targets in order. Out:
// the drawn edges, in target order.
func (p *Prepared) drawnEdges(vis *visible, e *engine) []vedge {
	b := p.b
	n := len(vis.box)
	byTo, bucket := p.connsByTarget(vis)
	stamp := make([]int32, n)  // target+1 last seen from this source
	stampL := make([]int32, n) // its layout edge
	stampE := make([]int32, n) // its merged group edge, -1 if none
	edges := make([]vedge, 0, len(b.conns))
	for t := int32(0); t < int32(n); t++ {
		for _, ci := range bucket[byTo[t]:byTo[t+1]] {
			c := b.conns[ci]
			a := vis.rep[c.from]
			if a == t && c.from != c.to {
				continue // inside a collapsed group
			}
			grouped := vis.isGroup(a) || vis.isGroup(t)
			if stamp[a] == t+1 {
				if grouped && stampE[a] >= 0 {
					edges[stampE[a]].values++
					continue
				}
				edges = append(edges, vedge{a: a, b: t, v: c.v, values: 1, layout: stampL[a]})
				continue
			}
			stamp[a] = t + 1
			stampE[a] = -1
			if grouped {
				stampE[a] = int32(len(edges))
			}
			stampL[a] = -1
			if a != t {
				stampL[a] = int32(len(e.ef))
				e.ef = append(e.ef, a)
				e.et = append(e.et, t)
			}
			edges = append(edges, vedge{a: a, b: t, v: c.v, values: 1, layout: stampL[a]})
		}
	}
	return edges
}

// placeNodes fills v.Nodes from the engine's coordinates (x: centre, y:
// top) in layout node order, counting model nodes, stubs and hidden nodes
// in v.Stats, and points each stub at the node drawing its source.
func (p *Prepared) placeNodes(v *View, vis *visible, e *engine, m TextMetric) {
	b := p.b
	v.Nodes = make([]Node, len(vis.box))
	var mu sync.Mutex
	parallel(len(vis.box), parallelChunk, func(lo, hi int) {
		var st Stats
		for k := lo; k < hi; k++ {
			p.placeNode(v, &st, vis, e, m, k)
		}
		mu.Lock()
		v.Stats.ModelNodes += st.ModelNodes
		v.Stats.Stubs += st.Stubs
		v.Stats.HiddenNodes += st.HiddenNodes
		mu.Unlock()
	})
	for k, bi := range vis.box {
		if bi >= 0 && b.boxes[bi].kind == KindStub {
			v.Nodes[k].Source = v.Nodes[vis.rep[b.boxes[bi].source]].ID
		}
	}
}

// placeNode sets v.Nodes[k], layout node k, counting it in st.
func (p *Prepared) placeNode(v *View, st *Stats, vis *visible, e *engine, m TextMetric, k int) {
	b, gt := p.b, p.gt
	bi := vis.box[k]
	x, y := 0.0, 0.0
	if e.x != nil {
		x, y = e.x[k]-e.w[k]/2, e.y[k]
	}
	if bi >= 0 {
		v.Nodes[k] = p.boxNode(&b.boxes[bi], x, y, e.w[k], e.h[k])
		switch b.boxes[bi].kind {
		case KindOp:
			st.ModelNodes++
		case KindStub:
			st.Stubs++
		}
		return
	}
	gi := -1 - bi
	nd := Node{ID: gt.groupID(gi), Kind: KindGroup, Label: clip(gt.label[gi], m.MaxChars), Name: gt.path[gi],
		Category: "group", Lines: vis.lines[gi], X: x, Y: y, W: e.w[k], H: e.h[k], Index: -1, Count: gt.count[gi]}
	if par := gt.parent[gi]; par >= 0 {
		nd.Group = gt.groupID(par)
	}
	v.Nodes[k] = nd
	st.HiddenNodes += gt.count[gi]
}

// boxNode is the View node of a plain box at (x, y) with size w×h.
func (p *Prepared) boxNode(bx *box, x, y, w, h float64) Node {
	nd := Node{ID: bx.id, Kind: bx.kind, Label: bx.label, Name: bx.name, Category: bx.category,
		Lines: bx.lines, X: x, Y: y, W: w, H: h, Index: int(bx.index), Subgraphs: int(bx.subgraphs)}
	if bx.group >= 0 {
		nd.Group = p.gt.groupID(bx.group)
	}
	return nd
}

// routeEdges fills v.Edges from the drawn edges: labels, and points along
// the engine's layout edge (through its dummy nodes) or a loop for a
// self-loop. Every route is a slice of one shared points array. It counts
// edges between plain boxes in v.Stats.ModelEdges.
func (p *Prepared) routeEdges(v *View, vis *visible, edges []vedge, e *engine) {
	b := p.b
	v.values = b.values
	v.Edges = make([]Edge, len(edges))
	// Edge i's route may use points[off[i]:off[i+1]] (the most a route
	// takes), so that chunks of edges are routed in parallel.
	off := make([]int, len(edges)+1)
	for i, ed := range edges {
		off[i+1] = off[i]
		if ed.layout >= 0 {
			off[i+1] += 4 + 4*int(e.ndum[ed.layout])
		}
	}
	points := make([]float64, off[len(edges)]) // every route, sliced
	var mu sync.Mutex
	parallel(len(edges), parallelChunk, func(lo, hi int) {
		modelEdges := 0
		labels := shapeTexts{}
		for i := lo; i < hi; i++ {
			ed := edges[i]
			out := Edge{From: v.Nodes[ed.a].ID, To: v.Nodes[ed.b].ID, Value: b.values[ed.v],
				from: int32(ed.a) + 1, to: int32(ed.b) + 1, val: int32(ed.v) + 1}
			if ed.values > 1 {
				out.Label = strconv.Itoa(ed.values) + " tensors"
			} else {
				var dt model.DType
				out.Label, dt = b.valueLabel(ed.v, labels)
				out.DType = string(dt)
			}
			if ed.a == ed.b {
				out.Points = loopRoute(&v.Nodes[ed.a])
			} else {
				r := e.route(int(ed.layout), points[off[i]:off[i]:off[i+1]])
				out.Points = r[:len(r):len(r)]
			}
			v.Edges[i] = out
			if !vis.isGroup(ed.a) && !vis.isGroup(ed.b) {
				modelEdges++
			}
		}
		mu.Lock()
		v.Stats.ModelEdges += modelEdges
		mu.Unlock()
	})
}

// frame is a rectangle as minX, minY, maxX, maxY.
type frame = [4]float64

// groupFrames returns the frame of every open group: around its visible
// members and the long edges routed inside it, padded, with room for the
// title, and enclosing its open subgroups (innermost first). A group with
// nothing visible inside keeps an infinite (empty) frame.
func (p *Prepared) groupFrames(v *View, vis *visible, open []bool, e *engine, m TextMetric) []frame {
	gt := p.gt
	frames := make([]frame, gt.len())
	for i := range frames {
		frames[i] = frame{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	}
	for k := range v.Nodes {
		g := vis.group[k]
		if g < 0 {
			continue
		}
		nd := &v.Nodes[k]
		f := &frames[g]
		f[0], f[1] = min(f[0], nd.X), min(f[1], nd.Y)
		f[2], f[3] = max(f[2], nd.X+nd.W), max(f[3], nd.Y+nd.H)
	}
	// Long edges routed inside a group widen its frame too.
	for d := e.n; d < e.nn; d++ {
		if g := e.grp[d]; g >= 0 {
			f := &frames[g]
			top := e.rankTop[e.rank[d]]
			f[0], f[1] = min(f[0], e.x[d]), min(f[1], top)
			f[2], f[3] = max(f[2], e.x[d]), max(f[3], top+e.rankH[e.rank[d]])
		}
	}
	for gi := len(frames) - 1; gi >= 0; gi-- {
		f := &frames[gi]
		if !open[gi] || math.IsInf(f[0], 1) {
			continue
		}
		f[0] -= framePad
		f[1] -= framePad + m.LineHeight
		f[2] += framePad
		f[3] += framePad
		if par := gt.parent[gi]; par >= 0 {
			pf := &frames[par]
			pf[0], pf[1] = min(pf[0], f[0]), min(pf[1], f[1])
			pf[2], pf[3] = max(pf[2], f[2]), max(pf[3], f[3])
		}
	}
	return frames
}

// placeGroups fills v.Groups with every group whose ancestors are all
// open: an open group as its frame (skipped when nothing of it is
// visible), a collapsed one at its box.
func (p *Prepared) placeGroups(v *View, vis *visible, open []bool, e *engine, m TextMetric) {
	gt := p.gt
	frames := p.groupFrames(v, vis, open, e, m)
	shown := make([]int32, 0, gt.len())
	for g := int32(0); g < int32(gt.len()); g++ {
		if gt.visible(g, open) && (!open[g] || !math.IsInf(frames[g][0], 1)) { // an open group with no visible member is not drawn
			shown = append(shown, g)
		}
	}
	v.Groups = slices.Grow(v.Groups, len(shown)) // once: growing it step by step copied it over and over
	for _, g := range shown {
		grp := Group{ID: gt.groupID(g), Label: gt.label[g], Collapsed: !open[g], Count: gt.count[g]}
		if par := gt.parent[g]; par >= 0 {
			grp.Parent = gt.groupID(par)
		}
		if open[g] {
			f := frames[g]
			grp.X, grp.Y, grp.W, grp.H = f[0], f[1], f[2]-f[0], f[3]-f[1]
		} else if k := vis.groupNode[g]; k >= 0 {
			nd := v.Nodes[k]
			grp.X, grp.Y, grp.W, grp.H = nd.X, nd.Y, nd.W, nd.H
		}
		v.Groups = append(v.Groups, grp)
	}
}

// loopRoute draws a self-loop on the right side of a box.
func loopRoute(n *Node) []float64 {
	cx, r := n.X+n.W/2, n.X+n.W+loopReach
	return []float64{cx, n.Y + n.H, r, n.Y + n.H + loopReach/2, r, n.Y - loopReach/2, cx, n.Y}
}

// normalize moves the drawing so that it starts at (margin, margin) and
// sets Width and Height.
func normalize(v *View) {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	see := func(x, y float64) {
		minX, minY = min(minX, x), min(minY, y)
		maxX, maxY = max(maxX, x), max(maxY, y)
	}
	for i := range v.Nodes {
		n := &v.Nodes[i]
		see(n.X, n.Y)
		see(n.X+n.W, n.Y+n.H)
	}
	for i := range v.Groups {
		g := &v.Groups[i]
		see(g.X, g.Y)
		see(g.X+g.W, g.Y+g.H)
	}
	for i := range v.Edges {
		p := v.Edges[i].Points
		for j := 0; j+1 < len(p); j += 2 {
			see(p[j], p[j+1])
		}
	}
	if math.IsInf(minX, 1) {
		return
	}
	dx, dy := margin-minX, margin-minY
	for i := range v.Nodes {
		v.Nodes[i].X += dx
		v.Nodes[i].Y += dy
	}
	for i := range v.Groups {
		v.Groups[i].X += dx
		v.Groups[i].Y += dy
	}
	for i := range v.Edges {
		p := v.Edges[i].Points
		for j := 0; j+1 < len(p); j += 2 {
			p[j] += dx
			p[j+1] += dy
		}
	}
	v.Width, v.Height = maxX+dx+margin, maxY+dy+margin
}
