package cost

import (
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// nodeCtx is what a rule sees of one node.
type nodeCtx struct {
	sc *scope
	n  *model.Node
}

// in returns input i's shape, nil when absent or unknown.
func (c *nodeCtx) in(i int) model.Shape {
	if i >= len(c.n.Inputs) {
		return nil
	}
	return c.sc.shape(c.n.Inputs[i])
}

// out returns output i's shape, nil when absent or unknown.
func (c *nodeCtx) out(i int) model.Shape {
	if i >= len(c.n.Outputs) {
		return nil
	}
	return c.sc.shape(c.n.Outputs[i])
}

// attr returns the named attribute, nil when absent.
func (c *nodeCtx) attr(name string) *model.Attribute {
	for i := range c.n.Attrs {
		if c.n.Attrs[i].Name == name {
			return &c.n.Attrs[i]
		}
	}
	return nil
}

// intAttr returns an int (or bool) attribute, def when absent.
func (c *nodeCtx) intAttr(name string, def int64) int64 {
	if a := c.attr(name); a != nil && (a.Type == model.AttrInt || a.Type == model.AttrBool) {
		return a.Int
	}
	return def
}

// macRule counts a node's multiply-accumulates; false when a shape it
// needs is unknown.
type macRule func(c *nodeCtx) (Term, bool)

// macRules are the operators whose cost is multiply-accumulates, by
// op type (ONNX and its com.microsoft fused forms).
var macRules = map[string]macRule{
	"Conv":                  convAt(1),
	"ConvInteger":           convAt(1),
	"QLinearConv":           convAt(3),
	"FusedConv":             convAt(1),
	"NhwcConv":              convAt(1),
	"ConvTranspose":         convTranspose,
	"Gemm":                  gemm,
	"MatMul":                matmulAt(0),
	"MatMulInteger":         matmulAt(0),
	"QLinearMatMul":         matmulAt(0),
	"FusedMatMul":           matmulAt(0),
	"Einsum":                einsum,
	"Attention":             attention,
	"MultiHeadAttention":    attention,
	"LSTM":                  recurrent,
	"GRU":                   recurrent,
	"RNN":                   recurrent,
	"DynamicQuantizeLSTM":   recurrent,
	"MatMulNBits":           matmulAt(0),
	"DynamicQuantizeMatMul": matmulAt(0),
}

// count returns the node's MACs and other operations.
func (c *nodeCtx) count() (macs, other Term, ok bool) {
	op := c.n.OpType
	if c.sc.llm {
		if r := llmRules[op]; r != nil {
			m, ok := r(c)
			return m, Term{}, ok
		}
	}
	r := macRules[op]
	if r == nil {
		r = formatRules[baseOp(op)]
	}
	if r != nil {
		m, ok := r(c)
		return m, Term{}, ok
	}
	if len(c.n.Subgraphs()) > 0 {
		return c.control()
	}
	if free[op] {
		return Term{}, Term{}, true
	}
	o, ok := c.otherOps()
	return Term{}, o, ok
}

// free are data movement and bookkeeping: no arithmetic.
var free = setOf("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Shape", "Size",
	"Constant", "ConstantOfShape", "Transpose", "Gather", "GatherElements", "GatherND",
	"Concat", "Split", "SplitToSequence", "Slice", "Cast", "CastLike", "Expand", "Tile", "Pad",
	"Dropout", "DepthToSpace", "SpaceToDepth", "ScatterND", "ScatterElements", "Scatter",
	"Optional", "OptionalGetElement", "OptionalHasElement", "SequenceAt", "SequenceConstruct",
	"SequenceEmpty", "SequenceInsert", "SequenceLength", "SequenceErase", "ConcatFromSequence",
	"Range", "EyeLike", "Compress", "NonZero", "OneHot", "Trilu", "ReverseSequence",
	// the LLM graph's data movement and lookups
	"get_rows", "split", "concat", "slice", "weights")

// otherOps counts one operation per element: of the output for
// elementwise work, of the input for reductions and global pooling, and
// times the window for windowed pooling.
func (c *nodeCtx) otherOps() (Term, bool) {
	op := c.n.OpType
	switch {
	case strings.HasPrefix(op, "Reduce"), strings.HasPrefix(op, "Global"), op == "ArgMax", op == "ArgMin",
		c.sc.llm && (op == "pooling" || op == "weighted_sum_experts"):
		return one().mulShape(c.in(0))
	case op == "MaxPool" || op == "AveragePool" || op == "LpPool" || op == "MaxRoiPool":
		t, ok := one().mulShape(c.out(0))
		if a := c.attr("kernel_shape"); ok && a != nil && a.Type == model.AttrInts && !a.Truncated {
			for _, k := range a.Ints {
				if t, ok = t.mulInt(k); !ok {
					break
				}
			}
		}
		return t, ok
	}
	return one().mulShape(c.out(0))
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
