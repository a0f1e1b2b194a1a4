package layout

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
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
	b, err := build(ctx, g, &opts, Metric())
	if err != nil {
		return nil, err
	}
	p.b, p.gt = b, buildGroups(b)
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

func (p *Prepared) layout(ctx context.Context, opts Options, start time.Time) (*View, error) {
	m := Metric()
	v := &View{Nodes: []Node{}, Edges: []Edge{}, Groups: []Group{}, Metric: m}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("layout cancelled: %w", err)
	}
	if p.g == nil {
		return v, nil
	}
	g, b, gt := p.g, p.b, p.gt
	open := gt.decide(&opts, b.ops)

	// Visible boxes: a box inside a collapsed group is represented by the
	// outermost collapsed group's box.
	ng := gt.len()
	groupNode := make([]int32, ng)
	for i := range groupNode {
		groupNode[i] = -1
	}
	rep := make([]int32, len(b.boxes))
	var visBox []int32   // layout node → box index, or -1-group
	var visGroup []int32 // layout node → ordering group
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
			rep[i] = int32(len(visBox))
			visBox = append(visBox, int32(i))
			visGroup = append(visGroup, bx.group)
			continue
		}
		if groupNode[closed] < 0 {
			groupNode[closed] = int32(len(visBox))
			visBox = append(visBox, -1-closed)
			visGroup = append(visGroup, gt.parent[closed])
		}
		rep[i] = groupNode[closed]
	}
	n := len(visBox)
	e := &engine{ctx: ctx, n: n, w: make([]float64, n), h: make([]float64, n), grp: visGroup,
		gChain: gt.chain, gDepth: gt.depth, pad: framePad, padTop: m.LineHeight,
		nodeSep: nodeSep, edgeSep: edgeSep, rankSep: rankSep, sweeps: opts.sweeps()}
	groupLines := make([][]string, ng)
	for k, bi := range visBox {
		if bi >= 0 {
			e.w[k], e.h[k] = b.boxes[bi].w, b.boxes[bi].h
			continue
		}
		gi := -1 - bi
		groupLines[gi] = []string{strconv.Itoa(gt.count[gi]) + " nodes"}
		e.w[k], e.h[k] = m.size(clip(gt.label[gi], m.MaxChars), groupLines[gi])
	}

	// Drawn edges: one per (from, to, value) between plain boxes, one per
	// (from, to) when a collapsed group is involved; one layout edge per
	// (from, to). Connections are bucketed by target, so duplicates are
	// found with a stamp per source.
	type vedge struct {
		a, b, v int32
		values  int
		layout  int32
	}
	isGroup := func(k int32) bool { return visBox[k] < 0 }
	byTo := make([]int32, n+1)
	for _, c := range b.conns {
		byTo[rep[c.to]+1]++
	}
	for k := 0; k < n; k++ {
		byTo[k+1] += byTo[k]
	}
	bucket := make([]int32, len(b.conns))
	fill := slices.Clone(byTo[:n])
	for ci, c := range b.conns {
		t := rep[c.to]
		bucket[fill[t]] = int32(ci)
		fill[t]++
	}
	stamp := make([]int32, n)  // target+1 last seen from this source
	stampL := make([]int32, n) // its layout edge
	stampE := make([]int32, n) // its merged group edge, -1 if none
	edges := make([]vedge, 0, len(b.conns))
	for t := int32(0); t < int32(n); t++ {
		for _, ci := range bucket[byTo[t]:byTo[t+1]] {
			c := b.conns[ci]
			a := rep[c.from]
			if a == t && c.from != c.to {
				continue // inside a collapsed group
			}
			grouped := isGroup(a) || isGroup(t)
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
	if err := e.run(); err != nil {
		return nil, err
	}

	// Nodes.
	v.Nodes = make([]Node, 0, n)
	for k, bi := range visBox {
		x, y := 0.0, 0.0
		if e.x != nil {
			x, y = e.x[k]-e.w[k]/2, e.y[k]
		}
		if bi >= 0 {
			bx := &b.boxes[bi]
			nd := Node{ID: bx.id, Kind: bx.kind, Label: bx.label, Name: bx.name, Category: bx.category,
				Lines: bx.lines, X: x, Y: y, W: e.w[k], H: e.h[k], Index: bx.index, Subgraphs: bx.subgraphs}
			if bx.group >= 0 {
				nd.Group = gt.groupID(bx.group)
			}
			v.Nodes = append(v.Nodes, nd)
			if bx.kind == KindOp {
				v.Stats.ModelNodes++
			}
			if bx.kind == KindStub {
				v.Stats.Stubs++
			}
			continue
		}
		gi := -1 - bi
		nd := Node{ID: gt.groupID(gi), Kind: KindGroup, Label: clip(gt.label[gi], m.MaxChars), Name: gt.path[gi],
			Category: "group", Lines: groupLines[gi], X: x, Y: y, W: e.w[k], H: e.h[k], Index: -1, Count: gt.count[gi]}
		if p := gt.parent[gi]; p >= 0 {
			nd.Group = gt.groupID(p)
		}
		v.Nodes = append(v.Nodes, nd)
		v.Stats.HiddenNodes += gt.count[gi]
	}

	for k, bi := range visBox {
		if bi >= 0 && b.boxes[bi].kind == KindStub {
			v.Nodes[k].Source = v.Nodes[rep[b.boxes[bi].source]].ID
		}
	}

	// Edges.
	v.Edges = make([]Edge, 0, len(edges))
	size := 0
	for _, ed := range edges {
		if ed.layout >= 0 {
			size += 4 + 4*int(e.ndum[ed.layout])
		}
	}
	points := make([]float64, 0, size) // every route, sliced
	for _, ed := range edges {
		out := Edge{From: v.Nodes[ed.a].ID, To: v.Nodes[ed.b].ID, Value: b.values[ed.v]}
		if ed.values > 1 {
			out.Label = strconv.Itoa(ed.values) + " tensors"
		} else {
			out.Label = b.valueLabel(ed.v)
		}
		if ed.a == ed.b {
			out.Points = loopRoute(&v.Nodes[ed.a])
		} else {
			start := len(points)
			points = e.route(int(ed.layout), points)
			out.Points = points[start:len(points):len(points)]
		}
		v.Edges = append(v.Edges, out)
		if !isGroup(ed.a) && !isGroup(ed.b) {
			v.Stats.ModelEdges++
		}
	}

	// Group frames: expanded groups around their members, innermost first.
	frames := make([][4]float64, ng) // minX, minY, maxX, maxY
	for i := range frames {
		frames[i] = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	}
	for k := range v.Nodes {
		g := visGroup[k]
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
	for gi := ng - 1; gi >= 0; gi-- {
		f := &frames[gi]
		if !open[gi] || math.IsInf(f[0], 1) {
			continue
		}
		f[0] -= framePad
		f[1] -= framePad + m.LineHeight
		f[2] += framePad
		f[3] += framePad
		if p := gt.parent[gi]; p >= 0 {
			pf := &frames[p]
			pf[0], pf[1] = min(pf[0], f[0]), min(pf[1], f[1])
			pf[2], pf[3] = max(pf[2], f[2]), max(pf[3], f[3])
		}
	}
	for gi := 0; gi < ng; gi++ {
		g := int32(gi)
		visible := true
		if p := gt.parent[g]; p >= 0 {
			for _, a := range gt.chain[p] {
				visible = visible && open[a]
			}
		}
		if !visible {
			continue
		}
		grp := Group{ID: gt.groupID(g), Label: gt.label[g], Collapsed: !open[g], Count: gt.count[g]}
		if p := gt.parent[g]; p >= 0 {
			grp.Parent = gt.groupID(p)
		}
		if open[g] {
			f := frames[g]
			if math.IsInf(f[0], 1) {
				continue // no visible member
			}
			grp.X, grp.Y, grp.W, grp.H = f[0], f[1], f[2]-f[0], f[3]-f[1]
		} else if k := groupNode[g]; k >= 0 {
			nd := v.Nodes[k]
			grp.X, grp.Y, grp.W, grp.H = nd.X, nd.Y, nd.W, nd.H
		}
		v.Groups = append(v.Groups, grp)
	}
	normalize(v)
	v.Stats.TotalNodes = len(g.Nodes)
	v.Stats.InlinedNodes = b.inlined
	v.Stats.Crossings = e.crossings
	v.Stats.Layers = len(e.layers)
	v.Stats.LayoutMillis = float64(time.Since(start).Microseconds()) / 1000
	return v, nil
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
