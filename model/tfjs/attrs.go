package tfjs

import (
	"encoding/base64"
	"slices"
	"unicode/utf8"

	"github.com/modelpeek/modelpeek/model"
)

// maxListShown bounds the list attributes kept per node.
const maxListShown = 1024

// attribute converts an AttrValue, returning the library functions it
// names (func attributes stay strings until attachFunctions links them).
func attribute(name string, v attrValue) (model.Attribute, []string) {
	a := model.Attribute{Name: name}
	switch {
	case v.S != nil:
		a.Type, a.String = model.AttrString, bytesText(*v.S)
	case v.I != nil:
		a.Type, a.Int = model.AttrInt, int64(*v.I)
	case v.F != nil:
		a.Type, a.Float = model.AttrFloat, float64(*v.F)
	case v.B != nil:
		a.Type = model.AttrBool
		if *v.B {
			a.Int = 1
		}
	case v.Type != nil:
		a.Type, a.Types = model.AttrType_, []*model.Type{{Kind: model.KindTensor, DType: v.Type.dtype()}}
	case v.Shape != nil:
		shapeAttr(&a, v.Shape)
	case v.Tensor != nil:
		t := &model.Tensor{Name: name, DType: v.Tensor.DType.dtype(), Shape: []int64{}}
		if v.Tensor.TensorShape != nil {
			t.Shape = v.Tensor.TensorShape.ints()
		}
		a.Type, a.Tensors = model.AttrTensor, []*model.Tensor{t}
	case v.Func != nil:
		a.Type, a.String = model.AttrString, v.Func.Name
		a.Doc = "function"
		return a, []string{v.Func.Name}
	case v.Placeholder != nil:
		a.Type, a.RefName = model.AttrRef, *v.Placeholder
	case v.List != nil:
		return listAttribute(a, v.List)
	default:
		a.Type = model.AttrOther
	}
	return a, nil
}

// shapeAttr sets a shape attribute: its sizes (-1 unknown), or "?" for an
// unknown rank.
func shapeAttr(a *model.Attribute, s *shapeProto) {
	if s.UnknownRank {
		a.Type, a.String = model.AttrString, "?"
		return
	}
	a.Type, a.String = model.AttrString, s.shape().String()
}

// listAttribute converts a ListValue: the first non-empty list wins.
func listAttribute(a model.Attribute, l *listValue) (model.Attribute, []string) {
	switch {
	case len(l.S) > 0:
		a.Type = model.AttrStrings
		for _, s := range l.S[:min(len(l.S), maxListShown)] {
			a.Strings = append(a.Strings, bytesText(s))
		}
		truncated(&a, len(l.S))
	case len(l.I) > 0:
		a.Type = model.AttrInts
		for _, i := range l.I[:min(len(l.I), maxListShown)] {
			a.Ints = append(a.Ints, int64(i))
		}
		truncated(&a, len(l.I))
	case len(l.F) > 0:
		a.Type = model.AttrFloats
		for _, f := range l.F[:min(len(l.F), maxListShown)] {
			a.Floats = append(a.Floats, float64(f))
		}
		truncated(&a, len(l.F))
	case len(l.B) > 0:
		a.Type = model.AttrInts
		for _, b := range l.B[:min(len(l.B), maxListShown)] {
			a.Ints = append(a.Ints, map[bool]int64{true: 1}[b])
		}
		truncated(&a, len(l.B))
	case len(l.Type) > 0:
		a.Type = model.AttrTypes
		for _, t := range l.Type[:min(len(l.Type), maxListShown)] {
			a.Types = append(a.Types, &model.Type{Kind: model.KindTensor, DType: t.dtype()})
		}
		truncated(&a, len(l.Type))
	case len(l.Shape) > 0:
		a.Type = model.AttrStrings
		for i := range l.Shape[:min(len(l.Shape), maxListShown)] {
			a.Strings = append(a.Strings, l.Shape[i].shape().String())
		}
		truncated(&a, len(l.Shape))
	case len(l.Func) > 0:
		a.Type, a.Doc = model.AttrStrings, "functions"
		var names []string
		for _, f := range l.Func[:min(len(l.Func), maxListShown)] {
			a.Strings = append(a.Strings, f.Name)
			names = append(names, f.Name)
		}
		return a, names
	default:
		a.Type = model.AttrInts
	}
	return a, nil
}

func truncated(a *model.Attribute, n int) {
	if n > maxListShown {
		a.Truncated, a.Count = true, int64(n)
	}
}

// bytesText decodes a base64 bytes field; text stays text, other bytes
// are shown as base64.
func bytesText(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || !utf8.Valid(b) {
		return truncate(s, 4096)
	}
	return truncate(string(b), 4096)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
