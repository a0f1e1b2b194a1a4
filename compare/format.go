package compare

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// maxListShown bounds the values of a list attribute written in a change.
const maxListShown = 16

// typeString writes a value type as "float32[1,3,?,N]".
func typeString(t *model.Type) string {
	if t == nil {
		return ""
	}
	if t.Kind != "" && t.Kind != model.KindTensor {
		return string(t.Kind) + "<" + typeString(t.Elem) + ">"
	}
	if t.Shape == nil {
		return string(t.DType)
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		switch {
		case d.Known:
			dims[i] = strconv.FormatInt(d.Size, 10)
		case d.Param != "":
			dims[i] = d.Param
		default:
			dims[i] = "?"
		}
	}
	return string(t.DType) + "[" + strings.Join(dims, ",") + "]"
}

// listString writes up to maxListShown items as "[a,b,…]".
func listString[T any](vs []T, f func(T) string) string {
	parts := make([]string, 0, min(len(vs), maxListShown)+1)
	for i, v := range vs {
		if i == maxListShown {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, f(v))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func intString(v int64) string     { return strconv.FormatInt(v, 10) }
func floatString(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// attrString writes an attribute's value for a change line.
func attrString(a model.Attribute) string {
	switch a.Type {
	case model.AttrInt:
		return intString(a.Int)
	case model.AttrBool:
		return strconv.FormatBool(a.Int != 0)
	case model.AttrFloat:
		return floatString(a.Float)
	case model.AttrString:
		return strconv.Quote(a.String)
	case model.AttrInts:
		return listString(a.Ints, intString)
	case model.AttrFloats:
		return listString(a.Floats, floatString)
	case model.AttrStrings:
		return listString(a.Strings, strconv.Quote)
	case model.AttrTensor, model.AttrTensors:
		return listString(a.Tensors, func(t *model.Tensor) string {
			if t == nil {
				return "nil"
			}
			return fmt.Sprintf("%s%v", t.DType, t.Shape)
		})
	case model.AttrGraph, model.AttrGraphs:
		return listString(a.Graphs, func(g *model.Graph) string {
			if g == nil {
				return "nil"
			}
			return fmt.Sprintf("graph(%d nodes)", len(g.Nodes))
		})
	case model.AttrType_, model.AttrTypes:
		return listString(a.Types, typeString)
	case model.AttrRef:
		return "@" + a.RefName
	}
	return fmt.Sprintf("%v%v%v%q", a.Int, a.Float, a.Ints, a.String)
}

// shapeList writes a weight shape as "[3,3]".
func shapeList(s []int64) string { return listString(s, intString) }
