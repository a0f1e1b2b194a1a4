package cost

import "strings"

// formatRules are the multiply-accumulate operators of the other formats
// with shapes (TFLite, OpenVINO, torch.export and ExecuTorch), by op
// name without its namespace and overload (see baseOp).
var formatRules = map[string]macRule{
	// TFLite: filters [Cout, kh, kw, Cin], depthwise [1, kh, kw, Cout],
	// 3-D [kd, kh, kw, Cin, Cout], fully connected [out, in].
	"CONV_2D":           weightedAt(1, 0),
	"DEPTHWISE_CONV_2D": weightedAt(1, 3),
	"CONV_3D":           weightedAt(1, 4),
	"FULLY_CONNECTED":   weightedAt(1, 0),
	"BATCH_MATMUL":      matmulAt(0),
	// OpenVINO: [Cout, Cin, k...], grouped [G, Cout/G, Cin/G, k...].
	"Convolution":      weightedAt(1, 0),
	"GroupConvolution": weightedAt(1, 0, 1),
	// torch (torch.export, ExecuTorch): weights [out, in] and
	// [Cout, Cin/groups, k...]; addmm(bias, A, B).
	"linear":      weightedAt(1, 0),
	"convolution": weightedAt(1, 0),
	"conv1d":      weightedAt(1, 0),
	"conv2d":      weightedAt(1, 0),
	"conv3d":      weightedAt(1, 0),
	"mm":          matmulAt(0),
	"bmm":         matmulAt(0),
	"matmul":      matmulAt(0),
	"addmm":       matmulAt(1),
}

// baseOp strips a torch op's namespace and overload:
// "torch.ops.aten.linear.default" and "aten::addmm.out" give "linear"
// and "addmm".
func baseOp(op string) string {
	switch {
	case strings.HasPrefix(op, "torch.ops.aten."):
		op = strings.TrimPrefix(op, "torch.ops.aten.")
	case strings.HasPrefix(op, "aten::"):
		op = strings.TrimPrefix(op, "aten::")
	case strings.HasSuffix(op, ".out"), strings.HasSuffix(op, ".default"):
	default:
		return op
	}
	if i := strings.IndexByte(op, '.'); i >= 0 {
		op = op[:i]
	}
	return op
}

// weightedAt is a layer whose weight at input w holds, for each output
// channel (the product of the weight dims at outDims), the weights one
// output element sums over: output elements × weight elements / output
// channels.
func weightedAt(w int, outDims ...int) macRule {
	return func(c *nodeCtx) (Term, bool) {
		ws, y := c.in(w), c.out(0)
		if ws == nil || y == nil {
			return Term{}, false
		}
		wn, ok := one().mulShape(ws)
		if !ok || len(wn.Syms) > 0 {
			return Term{}, false
		}
		per := wn.Coef
		for _, d := range outDims {
			if d >= len(ws) || ws[d].Size <= 0 || per%ws[d].Size != 0 {
				return Term{}, false
			}
			per /= ws[d].Size
		}
		t, ok := one().mulShape(y)
		if !ok {
			return Term{}, false
		}
		return t.mulInt(per)
	}
}
