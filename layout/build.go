package layout

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// sourceFanout is the consumer count above which a pure source's value is
// split into stubs (see splitFanout).
const sourceFanout = 2

// maxInlineLines bounds the inlined-weight lines shown in one box.
const maxInlineLines = 8

// box is one potential box of the drawing, before groups are collapsed.
type box struct {
	id        string
	kind      string
	label     string
	name      string
	category  string
	lines     []string
	index     int32 // model node index for ops, else -1
	subgraphs int32 // subgraph count of an op
	group     int32 // innermost kept name-scope group, -1 for none
	source    int32 // for a stub, the box producing its value (unused otherwise)
	w, h      float64
}

// conn is a drawn connection between two boxes carrying value v (an index
// into built.values).
type conn struct {
	from, to int32
	v        int32
}

// built is the model graph reduced to boxes and connections: weights
// inlined, single-use constants folded in, high fan-out sources split.
type built struct {
	boxes   []box
	conns   []conn
	values  []string        // value names by index
	vtype   []*model.Type   // value types when known
	vinit   []*model.Tensor // initializers by value
	inlined int             // model nodes drawn inside their consumer
	stubs   int
	ops     int // op boxes

	// Value ids of model node i's inputs are inFlat[inOff[i]:inOff[i+1]]
	// (-1 for an empty name or a repeat), kept by build for Prepare's
	// group sizes, which drops them.
	inFlat, inOff []int32

	// scopeDone delivers the name-scope trie of the op boxes, built
	// beside build's later stages (startScopes), to buildGroups.
	scopeDone <-chan *scopeTrie
}

// valueTable interns value names.
type valueTable struct {
	idx   map[string]int32 // nil while byNumber stands in for it: made on the first lookup
	names []string
	// byNumber maps the numbers a decoder gave the graph's names
	// (model.ValueNumbers) to ids, -1 before one is given; nil when the
	// graph has no numbers. Indexing it spares hashing every name: a
	// 100,000-node graph's lookups in idx were 40% of build.
	byNumber []int32
	empty    int32 // the empty name's id in a numbered table, -1 before it has one
}

// newValueTable returns a table with room for about n names, indexed by
// nums when it is given (valid for the graph).
func newValueTable(n int, nums *model.ValueNumbers) *valueTable {
	if nums == nil {
		return &valueTable{idx: make(map[string]int32, n), names: make([]string, 0, n)}
	}
	t := &valueTable{names: make([]string, 0, n), byNumber: make([]int32, nums.Count), empty: -1}
	for i := range t.byNumber {
		t.byNumber[i] = -1
	}
	return t
}

func (t *valueTable) id(name string) int32 {
	if i, ok := t.idx[name]; ok {
		return i
	}
	i := int32(len(t.names))
	t.idx[name] = i
	t.names = append(t.names, name)
	return i
}

// of returns the id of name, the k-th of a list whose numbers are nums
// in a numbered table (the table's graph numbers every list; nums is
// not read otherwise, and may be nil then). A number of -1 is the empty
// name's.
func (t *valueTable) of(nums []int32, k int, name string) int32 {
	if t.byNumber == nil {
		return t.id(name)
	}
	at := &t.empty
	if num := nums[k]; num >= 0 {
		at = &t.byNumber[num]
	}
	if *at < 0 {
		*at = int32(len(t.names))
		t.names = append(t.names, name)
	}
	return *at
}

// lookup returns the id of name, if it has one.
func (t *valueTable) lookup(name string) (int32, bool) {
	if t.idx == nil {
		t.idx = make(map[string]int32, len(t.names))
		for i, s := range t.names {
			t.idx[s] = int32(i)
		}
	}
	i, ok := t.idx[name]
	return i, ok
}

// builder holds what build's stages share: the graph, the interned value
// names, every node's inputs and outputs as value ids, what is known of
// each value, and the boxes made so far.
type builder struct {
	ctx  context.Context
	g    *model.Graph
	opts *Options
	m    TextMetric
	vt   *valueTable
	b    *built

	// Value ids of node i's inputs are inFlat[inOff[i]:inOff[i+1]] (-1 for
	// an empty name or a repeated input), its outputs likewise.
	inFlat, outFlat []int32
	inOff, outOff   []int32

	// initIDs, inputIDs and outputIDs are the value ids of the
	// initializers, graph inputs and graph outputs.
	initIDs, inputIDs, outputIDs []int32
	// nums numbers the graph's names (model.ValueNumbers), nil when it
	// does not, or not validly.
	nums *model.ValueNumbers

	// Per value.
	vtype     []*model.Type
	vinit     []*model.Tensor
	vprodNode []int32 // model node producing it, -1 if none
	vprodBox  []int32 // box producing it, -1 if none yet
	vcons     []int32 // consumers, graph outputs included
	isInput   []bool  // drawn as a graph input box
	isOutput  []bool  // a graph output not drawn yet

	// Per model node.
	inline     []bool   // drawn inside its consumer
	inlineText []string // its text there
	opBox      []int32  // its box, -1 if none

	// cats memoises category by op type, domain and hint; lineMemo the
	// inlined inputs' lines.
	cats     map[catKey]string
	lineMemo map[lineKey]string
	// consts reads tiny constants' values for their text, within a budget.
	consts constReader

	// lines collects a box's lines; lineSlab is the block they are then
	// carved from (a box's lines were one to three allocations).
	lines, lineSlab []string
}

func (bd *builder) nodeIn(i int) []int32  { return bd.inFlat[bd.inOff[i]:bd.inOff[i+1]] }
func (bd *builder) nodeOut(i int) []int32 { return bd.outFlat[bd.outOff[i]:bd.outOff[i+1]] }

// cancelled checks ctx every 4096 nodes.
func (bd *builder) cancelled(i int) error {
	if i%4096 == 4095 && bd.ctx.Err() != nil {
		return fmt.Errorf("layout cancelled: %w", bd.ctx.Err())
	}
	return nil
}

// build turns g into boxes and connections. Its stages, in order: intern
// the value names and index each node's values (indexValues), gather what
// is known of each value (valueFacts), choose the constants drawn inside
// their consumer (inlineConstants), start the name-scope trie of the op
// boxes beside the rest (startScopes), make the input boxes (inputBoxes), the
// op boxes with their inlined weights (opBoxes), the connections into ops
// (connectOps) and the output boxes (outputBoxes), split high fan-out
// values into stubs (splitFanout), and size every box.
func build(ctx context.Context, g *model.Graph, opts *Options, m TextMetric) (*built, error) {
	bd := &builder{ctx: ctx, g: g, opts: opts, m: m,
		b:      &built{},
		consts: constReader{left: maxConstReads}}
	if g.Numbers.Valid(g) {
		bd.nums = g.Numbers
	}
	bd.vt = newValueTable(2*len(g.Nodes)+len(g.Initializers)+16, bd.nums)
	if err := bd.indexValues(); err != nil {
		return nil, err
	}
	bd.valueFacts()
	bd.inlineConstants()
	bd.startScopes()
	bd.b.boxes = make([]box, 0, len(g.Inputs)+len(g.Nodes)+len(g.Outputs)+bd.stubRoom(opts.stubFanout()))
	bd.inputBoxes()
	if err := bd.opBoxes(); err != nil {
		return nil, err
	}
	bd.connectOps()
	bd.outputBoxes()
	b := bd.b
	b.values, b.vtype, b.vinit = bd.vt.names, bd.vtype, bd.vinit
	b.inFlat, b.inOff = bd.inFlat, bd.inOff
	splitFanout(b, opts.stubFanout(), m)
	for i := range b.boxes {
		bx := &b.boxes[i]
		bx.w, bx.h = m.size(bx.label, bx.lines)
	}
	return b, nil
}

// startScopes builds the name-scope trie of the op boxes on a goroutine
// of its own: it needs only the node names and which nodes are inlined,
// and took a sixth of Prepare's time on one core. Small graphs build it
// here.
func (bd *builder) startScopes() {
	done := make(chan *scopeTrie, 1)
	bd.b.scopeDone = done
	nodes, inline := bd.g.Nodes, bd.inline
	if len(nodes) < parallelChunk {
		done <- newScopeTrie(nodes, inline)
		return
	}
	go func() { done <- newScopeTrie(nodes, inline) }()
}

// indexValues interns every value name in a fixed order (graph inputs,
// initializers, node values, graph outputs) and fills the flat arrays of
// each node's input and output value ids, repeated inputs dropped.
func (bd *builder) indexValues() error {
	g, vt := bd.g, bd.vt
	var nums model.ValueNumbers // all nil without numbers: number reads 0 then
	if bd.nums != nil {
		nums = *bd.nums
	}
	bd.inputIDs = bd.listIDs(len(g.Inputs), nums.Inputs, func(k int) (string, bool) { return valueName(g.Inputs[k]) })
	bd.initIDs = bd.listIDs(len(g.Initializers), nums.Initializers, func(k int) (string, bool) { return tensorName(g.Initializers[k]) })
	nin, nout := 0, 0
	for _, n := range g.Nodes {
		if n != nil {
			nin += len(n.Inputs)
			nout += len(n.Outputs)
		}
	}
	bd.inFlat, bd.outFlat = make([]int32, nin), make([]int32, nout)
	bd.inOff, bd.outOff = make([]int32, len(g.Nodes)+1), make([]int32, len(g.Nodes)+1)
	at := 0 // in nums.Nodes
	for i, n := range g.Nodes {
		bd.inOff[i+1], bd.outOff[i+1] = bd.inOff[i], bd.outOff[i]
		if err := bd.cancelled(i); err != nil {
			return err
		}
		if n == nil {
			continue
		}
		in := bd.inFlat[bd.inOff[i] : bd.inOff[i]+int32(len(n.Inputs))]
		internAll(vt, n.Inputs, numbersAt(nums.Nodes, &at, len(n.Inputs)), in)
		dedupe(in)
		internAll(vt, n.Outputs, numbersAt(nums.Nodes, &at, len(n.Outputs)), bd.outFlat[bd.outOff[i]:bd.outOff[i]+int32(len(n.Outputs))])
		bd.inOff[i+1] += int32(len(n.Inputs))
		bd.outOff[i+1] += int32(len(n.Outputs))
	}
	bd.b.conns = make([]conn, 0, nin+len(g.Outputs))
	bd.outputIDs = bd.listIDs(len(g.Outputs), nums.Outputs, func(k int) (string, bool) { return valueName(g.Outputs[k]) })
	return nil
}

// listIDs interns the n names of a graph list (name(k), false for a nil
// entry; nums their numbers or nil) and returns their ids, -1 for a nil
// entry.
func (bd *builder) listIDs(n int, nums []int32, name func(int) (string, bool)) []int32 {
	ids := make([]int32, n)
	for k := range ids {
		ids[k] = -1
		if s, ok := name(k); ok {
			ids[k] = bd.vt.of(nums, k, s)
		}
	}
	return ids
}

func valueName(v *model.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	return v.Name, true
}

func tensorName(t *model.Tensor) (string, bool) {
	if t == nil {
		return "", false
	}
	return t.Name, true
}

// numbersAt returns the next k numbers of nums from *at, and moves *at
// past them; nil when nums is.
func numbersAt(nums []int32, at *int, k int) []int32 {
	if nums == nil {
		return nil
	}
	out := nums[*at : *at+k]
	*at += k
	return out
}

// internAll sets ids[j] to the id of names[j] (whose numbers are nums,
// or nil), -1 for an empty name.
func internAll(vt *valueTable, names []string, nums []int32, ids []int32) {
	for j, s := range names {
		ids[j] = -1
		if s != "" {
			ids[j] = vt.of(nums, j, s)
		}
	}
}

// valueFacts gathers per value: its type (value infos first, then inputs
// and outputs), its initializer, the node producing it, its consumer count
// and whether it is a graph output.
func (bd *builder) valueFacts() {
	g, vt := bd.g, bd.vt
	nv := len(vt.names)
	bd.vtype, bd.vinit = make([]*model.Type, nv), make([]*model.Tensor, nv)
	bd.vprodNode, bd.vprodBox, bd.vcons = make([]int32, nv), make([]int32, nv), make([]int32, nv)
	bd.isInput, bd.isOutput = make([]bool, nv), make([]bool, nv)
	for i := range bd.vprodNode {
		bd.vprodNode[i], bd.vprodBox[i] = -1, -1
	}
	outs := outputWalk{bd: bd}
	for _, v := range g.ValueInfo {
		if v == nil || v.Type == nil {
			continue
		}
		if i, ok := outs.id(v.Name); ok && bd.vtype[i] == nil {
			bd.vtype[i] = v.Type
		}
	}
	for _, list := range [2]struct {
		vs  []*model.Value
		ids []int32
	}{{g.Inputs, bd.inputIDs}, {g.Outputs, bd.outputIDs}} {
		for k, v := range list.vs {
			if v == nil || v.Type == nil {
				continue
			}
			if i := list.ids[k]; bd.vtype[i] == nil {
				bd.vtype[i] = v.Type
			}
		}
	}
	for k, t := range g.Initializers {
		if t == nil {
			continue
		}
		if i := bd.initIDs[k]; bd.vinit[i] == nil {
			bd.vinit[i] = t
		}
	}
	for i := range g.Nodes {
		for _, o := range bd.nodeOut(i) {
			if o >= 0 && bd.vprodNode[o] < 0 {
				bd.vprodNode[o] = int32(i)
			}
		}
		for _, in := range bd.nodeIn(i) {
			if in >= 0 {
				bd.vcons[in]++
			}
		}
	}
	for k, v := range g.Outputs {
		if v != nil {
			i := bd.outputIDs[k]
			bd.isOutput[i] = true
			bd.vcons[i]++
		}
	}
}

// outputWalk finds the ids of value names read in the order of the
// nodes' outputs, as the ValueInfo entries shape inference adds are:
// each is looked for among the next few outputs after the last one found
// (the same string, so mostly the same pointer), and in the table only
// when it is not there. A 100,000-node graph's ValueInfo has an entry for
// every value; looking each up was most of valueFacts. A numbered table
// has no map of names to look in: it would be made for the first name
// missed (19 ms at 100,000 nodes, for one entry out of order), so the
// first few misses are looked for in every node's outputs instead, and
// the walk goes on from where one is found.
type outputWalk struct {
	bd    *builder
	node  int // the output the search starts at: node's output at
	at    int
	scans int // searches of every output made
}

// maxWalkScans is how many times outputWalk searches every output before
// it has the map of names made.
const maxWalkScans = 8

// outputWalkReach is how many outputs id looks at before the table.
const outputWalkReach = 4

// id returns the id of value name.
func (w *outputWalk) id(name string) (int32, bool) {
	nodes := w.bd.g.Nodes
	i, j := w.node, w.at
	for step := 0; step < outputWalkReach && i < len(nodes); step++ {
		if n := nodes[i]; n != nil && j < len(n.Outputs) {
			if n.Outputs[j] == name {
				if id := w.bd.nodeOut(i)[j]; id >= 0 {
					w.node, w.at = i, j+1
					return id, true
				}
			}
			j++
			continue
		}
		i, j = i+1, 0
	}
	if w.bd.vt.idx == nil && w.scans < maxWalkScans {
		w.scans++
		if id, ok := w.scan(name); ok {
			return id, true
		}
	}
	return w.bd.vt.lookup(name)
}

// scan looks for name among every node's outputs and goes on from there
// when it is found.
func (w *outputWalk) scan(name string) (int32, bool) {
	for i, n := range w.bd.g.Nodes {
		if n == nil {
			continue
		}
		for j, o := range n.Outputs {
			if o == name {
				if id := w.bd.nodeOut(i)[j]; id >= 0 {
					w.node, w.at = i, j+1
					return id, true
				}
			}
		}
	}
	return 0, false
}

// inlineConstants marks the single-consumer constants drawn inside their
// consumer, with their text there: Constant nodes, and Identity nodes
// passing a weight on (exporters use them to share one initializer between
// several consumers).
func (bd *builder) inlineConstants() {
	g := bd.g
	bd.inline = make([]bool, len(g.Nodes))
	bd.inlineText = make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		if n == nil || n.Domain != "" || len(bd.nodeOut(i)) != 1 || bd.nodeOut(i)[0] < 0 || len(n.Subgraphs()) > 0 {
			continue
		}
		o := bd.nodeOut(i)[0]
		if bd.vcons[o] != 1 || bd.isOutput[o] || bd.vprodNode[o] != int32(i) {
			continue
		}
		switch in := bd.nodeIn(i); {
		case n.OpType == "Constant" && !hasValue(in):
			bd.inlineText[i] = bd.constText(n)
		case n.OpType == "Identity" && len(in) == 1 && in[0] >= 0 && bd.vinit[in[0]] != nil && bd.vprodNode[in[0]] < 0:
			bd.inlineText[i] = bd.consts.tensorText(bd.vinit[in[0]])
		default:
			continue
		}
		bd.inline[i] = true
		bd.b.inlined++
	}
}

// typeLines is the type line of value i's box, nil when the type is
// unknown.
func (bd *builder) typeLines(i int32) []string {
	if t := typeText(bd.vtype[i]); t != "" {
		return []string{clip(t, bd.m.MaxChars)}
	}
	return nil
}

// inputBoxes adds a box for every graph input that is not an initializer,
// once per name.
func (bd *builder) inputBoxes() {
	b, m := bd.b, bd.m
	for k, v := range bd.g.Inputs {
		if v == nil {
			continue
		}
		i := bd.inputIDs[k]
		if bd.vinit[i] != nil || bd.isInput[i] {
			continue
		}
		bd.isInput[i] = true
		bd.vprodBox[i] = int32(len(b.boxes))
		b.boxes = append(b.boxes, box{id: "i" + strconv.Itoa(k), kind: KindInput, label: clip(v.Name, m.MaxChars), name: v.Name,
			category: "data", lines: bd.typeLines(i), index: -1, group: -1})
	}
}

// opBoxes adds a box for every model node not inlined, with its name (when
// asked for) and its inlined weights and constants as text lines, and
// records it as the producer of its outputs.
func (bd *builder) opBoxes() error {
	b, m := bd.b, bd.m
	opIDs := numberedIDs('n', len(bd.g.Nodes))
	bd.opBox = make([]int32, len(bd.g.Nodes))
	for i, n := range bd.g.Nodes {
		if err := bd.cancelled(i); err != nil {
			return err
		}
		bd.opBox[i] = -1
		if n == nil || bd.inline[i] {
			continue
		}
		bi := int32(len(b.boxes))
		bd.opBox[i] = bi
		for _, o := range bd.nodeOut(i) {
			if o >= 0 && bd.vprodBox[o] < 0 {
				bd.vprodBox[o] = bi
			}
		}
		b.boxes = append(b.boxes, box{id: opIDs[i], kind: KindOp, label: clip(opLabel(n), m.MaxChars),
			name: n.Name, category: bd.category(n), lines: bd.opLines(i, n), index: int32(i),
			subgraphs: int32(len(n.Subgraphs())), group: -1})
		b.ops++
	}
	return nil
}

// category is Category of node n, worked out once per op type, domain
// and hint: lowering and matching the op type for every node was a
// tenth of a 100,000-node Prepare.
func (bd *builder) category(n *model.Node) string {
	k := catKey{n.OpType, n.Domain, n.Category}
	c, ok := bd.cats[k]
	if !ok {
		c = Category(n.OpType, n.Domain, n.Category)
		if bd.cats == nil {
			bd.cats = map[catKey]string{}
		}
		bd.cats[k] = c
	}
	return c
}

// catKey is what Category depends on.
type catKey struct{ op, domain, hint string }

// opLines is the text of node i's box: its name when asked for, then one
// line per inlined weight or constant input, at most maxInlineLines.
func (bd *builder) opLines(i int, n *model.Node) []string {
	m := bd.m
	lines := bd.lines[:0]
	if bd.opts.ShowNames && n.Name != "" {
		lines = append(lines, clip(n.Name, m.MaxChars))
	}
	shown := 0
	for j, in := range bd.nodeIn(i) {
		if in < 0 {
			continue
		}
		var text string
		if p := bd.vprodNode[in]; p >= 0 && bd.inline[p] {
			text = bd.inlineText[p]
		} else if bd.vinit[in] != nil && !bd.isInput[in] && bd.vprodNode[in] < 0 {
			text = bd.consts.tensorText(bd.vinit[in])
		} else {
			continue
		}
		shown++
		if shown > maxInlineLines {
			continue
		}
		lines = append(lines, bd.line(slotName(n.OpType, n.Name, j, bd.vt.names[in]), text))
	}
	if shown > maxInlineLines {
		lines[len(lines)-1] = "+" + strconv.Itoa(shown-maxInlineLines+1) + " more"
	}
	out := bd.carveLines(lines)
	clear(lines)
	bd.lines = lines
	return out
}

// line is the text line of an inlined input, slot and text, clipped:
// made once per distinct line (layers repeat "W 768×768"), so that a
// big model's boxes share their lines' strings instead of each
// allocating its own. The memo keeps at most maxLineMemo lines: a model
// whose lines are all different (constants' values) gains nothing from
// it.
func (bd *builder) line(slot, text string) string {
	k := lineKey{slot, text}
	if l, ok := bd.lineMemo[k]; ok {
		return l
	}
	l := clip(slot+" "+text, bd.m.MaxChars)
	if len(bd.lineMemo) < maxLineMemo {
		if bd.lineMemo == nil {
			bd.lineMemo = map[lineKey]string{}
		}
		bd.lineMemo[k] = l
	}
	return l
}

// maxLineMemo bounds builder.line's memo.
const maxLineMemo = 4096

// lineKey is what an inlined input's line is made of.
type lineKey struct{ slot, text string }

// carveLines copies lines into the line block and returns the copy (nil
// for none), capped so that appending to it never touches its neighbours.
func (bd *builder) carveLines(lines []string) []string {
	k := len(lines)
	if k == 0 {
		return nil
	}
	if len(bd.lineSlab) < k {
		bd.lineSlab = make([]string, max(1024, k))
	}
	out := bd.lineSlab[:k:k]
	bd.lineSlab = bd.lineSlab[k:]
	copy(out, lines)
	return out
}

// connectOps adds the connections into op boxes, skipping inlined weights
// and constants. A value nothing here produces (a subgraph's read of its
// enclosing graph, or a dangling name) gets an "outer scope" input box.
func (bd *builder) connectOps() {
	b, m := bd.b, bd.m
	outer := 0
	for i := range bd.g.Nodes {
		to := bd.opBox[i]
		if to < 0 {
			continue
		}
		for _, in := range bd.nodeIn(i) {
			if in < 0 || bd.vinit[in] != nil || bd.vprodNode[in] >= 0 && bd.vprodBox[in] < 0 {
				continue // inlined weight or constant
			}
			if bd.vprodBox[in] < 0 {
				lines := []string{"outer scope"}
				if t := typeText(bd.vtype[in]); t != "" {
					lines = append(lines, clip(t, m.MaxChars))
				}
				bd.vprodBox[in] = int32(len(b.boxes))
				b.boxes = append(b.boxes, box{id: "x" + strconv.Itoa(outer), kind: KindInput, label: clip(bd.vt.names[in], m.MaxChars),
					name: bd.vt.names[in], category: "data", lines: lines, index: -1, group: -1})
				outer++
			}
			b.conns = append(b.conns, conn{from: bd.vprodBox[in], to: to, v: in})
		}
	}
}

// outputBoxes adds a box for every graph output (once per name) and its
// connection from the value's producer, when something draws one.
func (bd *builder) outputBoxes() {
	b, m := bd.b, bd.m
	for k, v := range bd.g.Outputs {
		if v == nil {
			continue
		}
		i := bd.outputIDs[k]
		if !bd.isOutput[i] {
			continue // a duplicate output name
		}
		bd.isOutput[i] = false
		bi := int32(len(b.boxes))
		b.boxes = append(b.boxes, box{id: "o" + strconv.Itoa(k), kind: KindOutput, label: clip(v.Name, m.MaxChars),
			name: v.Name, category: "data", lines: bd.typeLines(i), index: -1, group: -1})
		if p := bd.vprodBox[i]; p >= 0 {
			b.conns = append(b.conns, conn{from: p, to: bi, v: i})
		}
	}
}

// valueLabel is the shape text of value v ("1×64×56×56", "scalar",
// "sequence<…>") and its dtype ("float32"), each "" when unknown. The
// shape texts of tensor types are taken from, or added to, memo.
func (b *built) valueLabel(v int32, memo shapeTexts) (label string, dtype model.DType) {
	if t := b.vtype[v]; t != nil {
		if t.Kind != "" && t.Kind != model.KindTensor && t.Kind != model.KindSparseTensor {
			return typeText(t), ""
		}
		s, ok := memo[t]
		if !ok {
			s = shapeText(t.Shape)
			memo[t] = s
		}
		return s, t.DType
	}
	if t := b.vinit[v]; t != nil {
		return dimsText(t.Shape), t.DType
	}
	return "", ""
}

// shapeTexts memoises the shape text of tensor types for valueLabel:
// many values share one type (decoders share equal types), and writing
// one out costs a few allocations; a 100,000-node view labels 140,000
// edges. One per goroutine.
type shapeTexts map[*model.Type]string

// stubRoom estimates, from the consumer counts, how many stubs
// splitFanout will add with threshold k (see there), so that the boxes
// are allocated once with room for them: growing them there copied every
// box (a 100,000-node transformer's 15 MB, 40 ms, and as much again of
// fresh memory; it has 14,285 stubs). A value of an op whose inputs are
// all weights splits above sourceFanout consumers, any other above k.
// The estimate is exact unless constants folded into their consumer make
// an op a source; splitFanout grows the boxes when it falls short.
func (bd *builder) stubRoom(k int) int {
	if k <= 0 {
		return 0
	}
	room := 0
	for v, n := range bd.vcons {
		if bd.vinit[v] != nil || n <= int32(min(k, sourceFanout)) {
			continue
		}
		limit := k
		if p := bd.vprodNode[v]; p >= 0 && !bd.fedByValues(int(p)) {
			limit = min(k, sourceFanout)
		}
		if int(n) > limit {
			room += int(n)
		}
	}
	return room
}

// fedByValues reports whether node i has an input that is neither empty
// nor a weight.
func (bd *builder) fedByValues(i int) bool {
	for _, in := range bd.nodeIn(i) {
		if in >= 0 && bd.vinit[in] == nil {
			return true
		}
	}
	return false
}

// splitFanout replaces the connections of a value with more than k consumer
// ops by one stub per consumer. Values of ops fed by nothing drawn
// (constants computed from weights) split above sourceFanout consumers:
// they carry no dataflow worth following.
func splitFanout(b *built, k int, m TextMetric) {
	if k <= 0 {
		return
	}
	fan := make([]int32, len(b.values))
	fed := make([]bool, len(b.boxes))
	for _, c := range b.conns {
		if b.boxes[c.to].kind == KindOp {
			fan[c.v]++
		}
		fed[c.to] = true
	}
	limit := make([]int32, len(b.values))
	for _, c := range b.conns {
		limit[c.v] = int32(k)
		if !fed[c.from] && b.boxes[c.from].kind == KindOp {
			limit[c.v] = int32(min(k, sourceFanout))
		}
	}
	split := func(c conn) bool { return fan[c.v] > limit[c.v] && b.boxes[c.to].kind == KindOp }
	need := 0
	for _, c := range b.conns {
		if split(c) {
			need++
		}
	}
	// Exactly the room the stubs need (kept with the prepared graph),
	// unless build made room for them (stubRoom).
	if need > cap(b.boxes)-len(b.boxes) {
		b.boxes = append(make([]box, 0, len(b.boxes)+need), b.boxes...)
	}
	ids := numberedIDs('s', need)
	for ci := range b.conns {
		c := &b.conns[ci]
		if !split(*c) {
			continue
		}
		// A stub shows the value's name, or the producing op's type when
		// an op makes it (exporters' value names say little).
		name := b.values[c.v]
		label := shortName(name)
		if src := &b.boxes[c.from]; src.kind == KindOp {
			label = src.label
		}
		s := int32(len(b.boxes))
		b.boxes = append(b.boxes, box{id: ids[b.stubs], kind: KindStub,
			label: clip(label, m.MaxChars/2), name: name, category: "data", index: -1, group: -1, source: c.from})
		b.stubs++
		c.from = s
	}
}

// numberedIDs returns prefix+"0" … prefix+strconv.Itoa(n-1), as substrings
// of one string (two allocations instead of n).
func numberedIDs(prefix byte, n int) []string {
	buf := make([]byte, 0, n*7)
	ends := make([]int, n)
	for i := 0; i < n; i++ {
		buf = append(buf, prefix)
		buf = strconv.AppendInt(buf, int64(i), 10)
		ends[i] = len(buf)
	}
	all := string(buf)
	ids := make([]string, n)
	start := 0
	for i, end := range ends {
		ids[i] = all[start:end]
		start = end
	}
	return ids
}

// dedupe replaces repeated ids by -1, keeping the first occurrence.
func dedupe(ids []int32) {
	if len(ids) <= 32 {
		for j := 1; j < len(ids); j++ {
			for _, x := range ids[:j] {
				if x == ids[j] && x >= 0 {
					ids[j] = -1
					break
				}
			}
		}
		return
	}
	seen := make(map[int32]bool, len(ids))
	for j, x := range ids {
		if x < 0 {
			continue
		}
		if seen[x] {
			ids[j] = -1
		}
		seen[x] = true
	}
}

func hasValue(ids []int32) bool {
	for _, x := range ids {
		if x >= 0 {
			return true
		}
	}
	return false
}

// shortName is the last path component of a value name.
func shortName(s string) string {
	if i := strings.LastIndexAny(s, "/"); i >= 0 && i < len(s)-1 {
		return s[i+1:]
	}
	return s
}

// dimsText renders a weight's shape: "64×3×7×7", "scalar".
func dimsText(shape []int64) string {
	if len(shape) == 0 {
		return "scalar"
	}
	var buf [64]byte // one allocation, the string's, for most shapes
	b := buf[:0]
	for i, d := range shape {
		if i > 0 {
			b = append(b, "×"...)
		}
		b = strconv.AppendInt(b, d, 10)
	}
	return string(b)
}

// constText describes a Constant node's value: its values when tiny
// ("= 0.5", "= [1, 2]"), else its shape or length.
func (bd *builder) constText(n *model.Node) string {
	if t := model.ConstantTensor(n); t != nil {
		return bd.consts.tensorText(t)
	}
	for _, a := range n.Attrs {
		switch a.Name {
		case "value", "sparse_value":
			if len(a.Tensors) > 0 && a.Tensors[0] != nil {
				return dimsText(a.Tensors[0].Shape)
			}
		case "value_string":
			return strconv.Quote(clip(a.String, 16))
		case "value_floats":
			return strconv.Itoa(len(a.Floats))
		case "value_ints":
			return strconv.Itoa(len(a.Ints))
		case "value_strings":
			return strconv.Itoa(len(a.Strings))
		}
	}
	return "const"
}

// shapeText renders a shape as "1×64×56×56" ("scalar", "" for unknown
// rank).
func shapeText(s model.Shape) string {
	if s == nil {
		return ""
	}
	if len(s) == 0 {
		return "scalar"
	}
	var sb strings.Builder
	for i, d := range s {
		if i > 0 {
			sb.WriteString("×")
		}
		sb.WriteString(d.String())
	}
	return sb.String()
}

// typeText renders a value type as "1×64×56×56 f32".
func typeText(t *model.Type) string {
	if t == nil {
		return ""
	}
	if t.Kind != "" && t.Kind != model.KindTensor && t.Kind != model.KindSparseTensor {
		if t.Elem != nil {
			return string(t.Kind) + "<" + typeText(t.Elem) + ">"
		}
		return string(t.Kind)
	}
	dt := shortDType(t.DType)
	if t.Shape == nil {
		return dt
	}
	var sb strings.Builder
	if len(t.Shape) == 0 {
		sb.WriteString("scalar")
	}
	for i, d := range t.Shape {
		if i > 0 {
			sb.WriteString("×")
		}
		sb.WriteString(d.String())
	}
	if dt != "" {
		sb.WriteByte(' ')
		sb.WriteString(dt)
	}
	return sb.String()
}

// shortDType abbreviates a dtype: float32 → f32, int64 → i64, uint8 → u8.
func shortDType(d model.DType) string {
	s := string(d)
	switch {
	case strings.HasPrefix(s, "float") && len(s) <= 7:
		return "f" + s[5:]
	case strings.HasPrefix(s, "bfloat"):
		return "bf" + s[6:]
	case strings.HasPrefix(s, "uint"):
		return "u" + s[4:]
	case strings.HasPrefix(s, "int"):
		return "i" + s[3:]
	case strings.HasPrefix(s, "complex"):
		return "c" + s[7:]
	}
	return s
}

// slotName names input j of an operator for an inlined-weight line: the
// operator's input name for well-known operators, else the value's name
// without the node's own name in front ("attn_q.weight" in node "blk.0"),
// else the value name's last component.
func slotName(op, node string, j int, value string) string {
	if name, ok := opSlot(op, j); ok {
		return name
	}
	s := value
	if node != "" && len(s) > len(node)+1 && strings.HasPrefix(s, node) && strings.ContainsRune("./:", rune(s[len(node)])) {
		s = s[len(node)+1:]
	} else if i := strings.LastIndexAny(s, "./:"); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	if s == "" {
		return "in" + strconv.Itoa(j)
	}
	return clip(s, 20)
}

// opSlot is the name of input j of a well-known operator op. The lists
// stay on the stack: returned, each was an allocation per inlined line.
func opSlot(op string, j int) (string, bool) {
	var names []string
	switch op {
	case "Conv", "ConvTranspose", "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED", "ConvInteger":
		names = []string{"X", "W", "B"}
	case "Gemm":
		names = []string{"A", "B", "C"}
	case "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "And", "Or", "Max", "Min", "MatMulInteger":
		names = []string{"A", "B"}
	case "BatchNormalization":
		names = []string{"X", "scale", "B", "mean", "var"}
	case "LayerNormalization", "InstanceNormalization", "GroupNormalization":
		names = []string{"X", "scale", "B"}
	case "Reshape", "Expand", "Tile":
		names = []string{"data", "shape"}
	case "Gather", "GatherElements", "GatherND":
		names = []string{"data", "indices"}
	case "Unsqueeze", "Squeeze", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin":
		names = []string{"data", "axes"}
	case "LSTM":
		names = []string{"X", "W", "R", "B", "seq_lens", "initial_h", "initial_c", "P"}
	case "GRU", "RNN":
		names = []string{"X", "W", "R", "B", "seq_lens", "initial_h"}
	case "PRelu":
		names = []string{"X", "slope"}
	case "Clip":
		names = []string{"input", "min", "max"}
	case "Pad":
		names = []string{"data", "pads", "value", "axes"}
	case "Resize":
		names = []string{"X", "roi", "scales", "sizes"}
	case "Slice":
		names = []string{"data", "starts", "ends", "axes", "steps"}
	case "QuantizeLinear":
		names = []string{"x", "scale", "zero_point"}
	case "DequantizeLinear":
		names = []string{"x", "scale", "zero_point"}
	case "Where":
		names = []string{"cond", "X", "Y"}
	case "QLinearConv":
		names = []string{"x", "x_scale", "x_zp", "W", "w_scale", "w_zp", "y_scale", "y_zp", "B"}
	case "QLinearMatMul":
		names = []string{"a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"}
	}
	if j < len(names) {
		return names[j], true
	}
	return "", false
}
