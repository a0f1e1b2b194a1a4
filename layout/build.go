package layout

import (
	"context"
	"fmt"
	"slices"
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
	index     int   // model node index for ops, else -1
	subgraphs int   // subgraph count of an op
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
}

// valueTable interns value names.
type valueTable struct {
	idx   map[string]int32
	names []string
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

// build turns g into boxes and connections.
func build(ctx context.Context, g *model.Graph, opts *Options, m TextMetric) (*built, error) {
	vt := &valueTable{idx: make(map[string]int32, 2*len(g.Nodes)+len(g.Initializers)+16)}
	b := &built{boxes: make([]box, 0, len(g.Inputs)+len(g.Nodes)+len(g.Outputs))}
	// Intern every value name in a fixed order.
	for _, v := range g.Inputs {
		if v != nil {
			vt.id(v.Name)
		}
	}
	for _, t := range g.Initializers {
		if t != nil {
			vt.id(t.Name)
		}
	}
	// Value ids of every node's inputs and outputs, in two flat arrays.
	nin, nout := 0, 0
	for _, n := range g.Nodes {
		if n != nil {
			nin += len(n.Inputs)
			nout += len(n.Outputs)
		}
	}
	inFlat, outFlat := make([]int32, nin), make([]int32, nout)
	inOff, outOff := make([]int32, len(g.Nodes)+1), make([]int32, len(g.Nodes)+1)
	for i, n := range g.Nodes {
		inOff[i+1], outOff[i+1] = inOff[i], outOff[i]
		if i%4096 == 4095 && ctx.Err() != nil {
			return nil, fmt.Errorf("layout cancelled: %w", ctx.Err())
		}
		if n == nil {
			continue
		}
		in := inFlat[inOff[i] : inOff[i]+int32(len(n.Inputs))]
		for j, s := range n.Inputs {
			in[j] = -1
			if s != "" {
				in[j] = vt.id(s)
			}
		}
		dedupe(in)
		out := outFlat[outOff[i] : outOff[i]+int32(len(n.Outputs))]
		for j, s := range n.Outputs {
			out[j] = -1
			if s != "" {
				out[j] = vt.id(s)
			}
		}
		inOff[i+1] += int32(len(n.Inputs))
		outOff[i+1] += int32(len(n.Outputs))
	}
	b.conns = make([]conn, 0, nin+len(g.Outputs))
	nodeIn := func(i int) []int32 { return inFlat[inOff[i]:inOff[i+1]] }
	nodeOut := func(i int) []int32 { return outFlat[outOff[i]:outOff[i+1]] }
	for _, v := range g.Outputs {
		if v != nil {
			vt.id(v.Name)
		}
	}
	nv := len(vt.names)
	vtype := make([]*model.Type, nv)
	vinit := make([]*model.Tensor, nv)
	vprodNode := make([]int32, nv)
	vprodBox := make([]int32, nv)
	vcons := make([]int32, nv)
	isInput := make([]bool, nv)
	isOutput := make([]bool, nv)
	for i := range vprodNode {
		vprodNode[i], vprodBox[i] = -1, -1
	}
	setType := func(v *model.Value) {
		if v == nil || v.Type == nil {
			return
		}
		if i, ok := vt.idx[v.Name]; ok && vtype[i] == nil {
			vtype[i] = v.Type
		}
	}
	for _, v := range g.ValueInfo {
		setType(v)
	}
	for _, v := range g.Inputs {
		setType(v)
	}
	for _, v := range g.Outputs {
		setType(v)
	}
	for _, t := range g.Initializers {
		if t == nil {
			continue
		}
		i := vt.idx[t.Name]
		if vinit[i] == nil {
			vinit[i] = t
		}
	}
	for i := range g.Nodes {
		for _, o := range nodeOut(i) {
			if o >= 0 && vprodNode[o] < 0 {
				vprodNode[o] = int32(i)
			}
		}
		for _, in := range nodeIn(i) {
			if in >= 0 {
				vcons[in]++
			}
		}
	}
	for _, v := range g.Outputs {
		if v != nil {
			i := vt.idx[v.Name]
			isOutput[i] = true
			vcons[i]++
		}
	}
	// Single-consumer constants are drawn inside their consumer: Constant
	// nodes, and Identity nodes passing a weight on (exporters use them to
	// share one initializer between several consumers).
	inline := make([]bool, len(g.Nodes))
	inlineText := make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		if n == nil || n.Domain != "" || len(nodeOut(i)) != 1 || nodeOut(i)[0] < 0 || len(n.Subgraphs()) > 0 {
			continue
		}
		o := nodeOut(i)[0]
		if vcons[o] != 1 || isOutput[o] || vprodNode[o] != int32(i) {
			continue
		}
		switch in := nodeIn(i); {
		case n.OpType == "Constant" && !hasValue(in):
			inlineText[i] = constText(n)
		case n.OpType == "Identity" && len(in) == 1 && in[0] >= 0 && vinit[in[0]] != nil && vprodNode[in[0]] < 0:
			inlineText[i] = dimsText(vinit[in[0]].Shape)
		default:
			continue
		}
		inline[i] = true
		b.inlined++
	}
	// Graph inputs that are not initializers.
	for k, v := range g.Inputs {
		if v == nil {
			continue
		}
		i := vt.idx[v.Name]
		if vinit[i] != nil || isInput[i] {
			continue
		}
		isInput[i] = true
		vprodBox[i] = int32(len(b.boxes))
		label := clip(v.Name, m.MaxChars)
		var lines []string
		if t := typeText(vtype[i]); t != "" {
			lines = []string{clip(t, m.MaxChars)}
		}
		b.boxes = append(b.boxes, box{id: "i" + strconv.Itoa(k), kind: KindInput, label: label, name: v.Name,
			category: "data", lines: lines, index: -1, group: -1})
	}
	// Op boxes.
	opIDs := numberedIDs('n', len(g.Nodes))
	opBox := make([]int32, len(g.Nodes))
	for i, n := range g.Nodes {
		if i%4096 == 4095 && ctx.Err() != nil {
			return nil, fmt.Errorf("layout cancelled: %w", ctx.Err())
		}
		opBox[i] = -1
		if n == nil || inline[i] {
			continue
		}
		bi := int32(len(b.boxes))
		opBox[i] = bi
		for _, o := range nodeOut(i) {
			if o >= 0 && vprodBox[o] < 0 {
				vprodBox[o] = bi
			}
		}
		var lines []string
		if opts.ShowNames && n.Name != "" {
			lines = append(lines, clip(n.Name, m.MaxChars))
		}
		shown := 0
		for j, in := range nodeIn(i) {
			if in < 0 {
				continue
			}
			var text string
			if p := vprodNode[in]; p >= 0 && inline[p] {
				text = inlineText[p]
			} else if vinit[in] != nil && !isInput[in] && vprodNode[in] < 0 {
				text = dimsText(vinit[in].Shape)
			} else {
				continue
			}
			shown++
			if shown > maxInlineLines {
				continue
			}
			lines = append(lines, clip(slotName(n.OpType, n.Name, j, vt.names[in])+" "+text, m.MaxChars))
		}
		if shown > maxInlineLines {
			lines[len(lines)-1] = "+" + strconv.Itoa(shown-maxInlineLines+1) + " more"
		}
		label := n.OpType
		if label == "" {
			label = "?"
		}
		b.boxes = append(b.boxes, box{id: opIDs[i], kind: KindOp, label: clip(label, m.MaxChars),
			name: n.Name, category: Category(n.OpType, n.Domain, n.Category), lines: lines, index: i,
			subgraphs: len(n.Subgraphs()), group: -1})
		b.ops++
	}
	// Connections into ops. A value nothing here produces (a subgraph's
	// read of its enclosing graph, or a dangling name) gets an input box.
	outer := 0
	for i := range g.Nodes {
		to := opBox[i]
		if to < 0 {
			continue
		}
		for _, in := range nodeIn(i) {
			if in < 0 || vinit[in] != nil || vprodNode[in] >= 0 && vprodBox[in] < 0 {
				continue // inlined weight or constant
			}
			if vprodBox[in] < 0 {
				lines := []string{"outer scope"}
				if t := typeText(vtype[in]); t != "" {
					lines = append(lines, clip(t, m.MaxChars))
				}
				vprodBox[in] = int32(len(b.boxes))
				b.boxes = append(b.boxes, box{id: "x" + strconv.Itoa(outer), kind: KindInput, label: clip(vt.names[in], m.MaxChars),
					name: vt.names[in], category: "data", lines: lines, index: -1, group: -1})
				outer++
			}
			b.conns = append(b.conns, conn{from: vprodBox[in], to: to, v: in})
		}
	}
	// Graph outputs.
	for k, v := range g.Outputs {
		if v == nil {
			continue
		}
		i := vt.idx[v.Name]
		if !isOutput[i] {
			continue // a duplicate output name
		}
		isOutput[i] = false
		var lines []string
		if t := typeText(vtype[i]); t != "" {
			lines = []string{clip(t, m.MaxChars)}
		}
		bi := int32(len(b.boxes))
		b.boxes = append(b.boxes, box{id: "o" + strconv.Itoa(k), kind: KindOutput, label: clip(v.Name, m.MaxChars),
			name: v.Name, category: "data", lines: lines, index: -1, group: -1})
		if p := vprodBox[i]; p >= 0 {
			b.conns = append(b.conns, conn{from: p, to: bi, v: i})
		}
	}
	b.values, b.vtype, b.vinit = vt.names, vtype, vinit
	splitFanout(b, opts.stubFanout(), m)
	for i := range b.boxes {
		bx := &b.boxes[i]
		bx.w, bx.h = m.size(bx.label, bx.lines)
	}
	return b, nil
}

// valueLabel is the type text of value v ("1×64×56×56 f32"), "" when
// unknown.
func (b *built) valueLabel(v int32) string {
	if t := b.vtype[v]; t != nil {
		return typeText(t)
	}
	if t := b.vinit[v]; t != nil {
		if dt := shortDType(t.DType); dt != "" {
			return dimsText(t.Shape) + " " + dt
		}
		return dimsText(t.Shape)
	}
	return ""
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
	b.boxes = slices.Grow(b.boxes, need)
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
	var sb strings.Builder
	for i, d := range shape {
		if i > 0 {
			sb.WriteString("×")
		}
		sb.WriteString(strconv.FormatInt(d, 10))
	}
	return sb.String()
}

// constText describes a Constant node's value.
func constText(n *model.Node) string {
	for _, a := range n.Attrs {
		switch a.Name {
		case "value", "sparse_value":
			if len(a.Tensors) > 0 && a.Tensors[0] != nil {
				return dimsText(a.Tensors[0].Shape)
			}
		case "value_float":
			return strconv.FormatFloat(a.Float, 'g', 6, 64)
		case "value_int":
			return strconv.FormatInt(a.Int, 10)
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
	if names := slotNames(op); j < len(names) {
		return names[j]
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

func slotNames(op string) []string {
	switch op {
	case "Conv", "ConvTranspose", "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED", "ConvInteger":
		return []string{"X", "W", "B"}
	case "Gemm":
		return []string{"A", "B", "C"}
	case "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "And", "Or", "Max", "Min", "MatMulInteger":
		return []string{"A", "B"}
	case "BatchNormalization":
		return []string{"X", "scale", "B", "mean", "var"}
	case "LayerNormalization", "InstanceNormalization", "GroupNormalization":
		return []string{"X", "scale", "B"}
	case "Reshape", "Expand", "Tile":
		return []string{"data", "shape"}
	case "Gather", "GatherElements", "GatherND":
		return []string{"data", "indices"}
	case "Unsqueeze", "Squeeze", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin":
		return []string{"data", "axes"}
	case "LSTM":
		return []string{"X", "W", "R", "B", "seq_lens", "initial_h", "initial_c", "P"}
	case "GRU", "RNN":
		return []string{"X", "W", "R", "B", "seq_lens", "initial_h"}
	case "PRelu":
		return []string{"X", "slope"}
	case "Clip":
		return []string{"input", "min", "max"}
	case "Pad":
		return []string{"data", "pads", "value", "axes"}
	case "Resize":
		return []string{"X", "roi", "scales", "sizes"}
	case "Slice":
		return []string{"data", "starts", "ends", "axes", "steps"}
	case "QuantizeLinear":
		return []string{"x", "scale", "zero_point"}
	case "DequantizeLinear":
		return []string{"x", "scale", "zero_point"}
	case "Where":
		return []string{"cond", "X", "Y"}
	case "QLinearConv":
		return []string{"x", "x_scale", "x_zp", "W", "w_scale", "w_zp", "y_scale", "y_zp", "B"}
	case "QLinearMatMul":
		return []string{"a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"}
	}
	return nil
}
