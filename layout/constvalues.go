package layout

import (
	"math"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxConstReads bounds the elements one layout reads from model files to
// show tiny constants' values on their consumer ("B = 0"): past it, the
// remaining constants show their shape only. Values already in the IR
// (Constant attributes) cost nothing.
const maxConstReads = 16384

// constReader reads tiny constants' values within a per-layout budget.
type constReader struct {
	left int64
}

// tensorText is the text of an inlined weight or constant: its values
// when it has at most model.MaxInlineValues elements and they are known or
// readable within the budget ("= 0", "= [1, 2]"), else its shape
// ("64×3×7×7", "scalar").
func (cr *constReader) tensorText(t *model.Tensor) string {
	if t == nil {
		return "const"
	}
	if vs := cr.values(t); vs != nil {
		return "= " + valuesText(vs, len(t.Shape) == 0)
	}
	return dimsText(t.Shape)
}

// values returns every value of a tiny tensor, or nil.
func (cr *constReader) values(t *model.Tensor) []float64 {
	n, ok := model.NumElements(t.Shape)
	if !ok || n > model.MaxInlineValues || !numericDType(t.DType) {
		return nil
	}
	if int64(len(t.Values)) == n {
		return t.Values
	}
	if t.Location == nil || cr.left < max(n, 1) {
		return nil
	}
	cr.left -= max(n, 1)
	return model.InlineValues(t)
}

// numericDType reports whether values of d read as numbers worth showing.
func numericDType(d model.DType) bool {
	s := string(d)
	return strings.HasPrefix(s, "float") || strings.HasPrefix(s, "bfloat") || strings.HasPrefix(s, "int") ||
		strings.HasPrefix(s, "uint") || s == "bool"
}

// valuesText renders values as "0" (a scalar) or "[1, 2]".
func valuesText(vs []float64, scalar bool) string {
	if scalar && len(vs) == 1 {
		return numText(vs[0])
	}
	var sb strings.Builder
	sb.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(numText(v))
	}
	sb.WriteByte(']')
	return sb.String()
}

// numText renders one value compactly: integers exactly, others with
// five significant digits.
func numText(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 5, 64)
}

// opLabel is an op box's title: the op type, with a fused activation
// appended ("CONV_2D + RELU6") so it is seen on the node.
func opLabel(n *model.Node) string {
	label := n.OpType
	if label == "" {
		label = "?"
	}
	for _, a := range n.Attrs {
		if a.Name == "fused_activation_function" && a.Type == model.AttrString && a.String != "" && a.String != "NONE" {
			return label + " + " + a.String
		}
	}
	return label
}
