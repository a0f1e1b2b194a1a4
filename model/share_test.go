package model

import "testing"

func tensorType(dt DType, s Shape) *Type { return &Type{Kind: KindTensor, DType: dt, Shape: s} }

// TestShareTypes: equal types end up as one instance; types differing in
// any field (a dimension's name, known or not, a nil against an empty
// shape, an element type) stay apart.
func TestShareTypes(t *testing.T) {
	seq := Shape{IntDim(1), {Param: "seq"}}
	distinct := []*Type{
		tensorType("float32", seq),
		tensorType("float16", seq),
		tensorType("float32", Shape{IntDim(1), {Param: "batch"}}),
		tensorType("float32", Shape{IntDim(1), {}}),
		tensorType("float32", Shape{IntDim(1), {Size: 1}}),
		tensorType("float32", nil),
		tensorType("float32", Shape{}),
		{Kind: KindSequence, Elem: tensorType("float32", seq)},
		{Kind: KindSequence, Elem: tensorType("int64", seq)},
		{Kind: KindSequence},
		{Kind: KindTensor, DType: "float32", Shape: seq, Denotation: "IMAGE"},
	}
	var vals []*Value
	for _, ty := range distinct {
		vals = append(vals, &Value{Name: "a", Type: ty})
		cp := *ty
		cp.Shape = append(Shape(nil), ty.Shape...)
		if ty.Shape != nil && len(ty.Shape) == 0 {
			cp.Shape = Shape{}
		}
		vals = append(vals, &Value{Name: "b", Type: &cp})
	}
	sub := &Graph{ValueInfo: []*Value{{Name: "c", Type: tensorType("float32", seq)}}}
	g := &Graph{ValueInfo: vals, Nodes: []*Node{{OpType: "If", Attrs: []Attribute{{Name: "then_branch", Type: AttrGraph, Graphs: []*Graph{sub}}}}}}
	ShareTypes(&Model{Graph: g})
	for i := 0; i < len(vals); i += 2 {
		if vals[i].Type != vals[i+1].Type {
			t.Errorf("type %d (%s): two equal types not shared", i/2, TypeString(vals[i].Type))
		}
		for j := i + 2; j < len(vals); j += 2 {
			if vals[i].Type == vals[j].Type {
				t.Errorf("types %d and %d share an instance though they differ", i/2, j/2)
			}
		}
	}
	if sub.ValueInfo[0].Type != vals[0].Type {
		t.Error("a subgraph's value does not share its type with the main graph's")
	}
}

// TestShareTypesMany: with many more types than ShareTypes remembers by
// address, each met through several values, in turns, every value keeps
// a type equal to its own and equal types share one instance.
func TestShareTypesMany(t *testing.T) {
	const types = 4 * recentTypes
	var vals []*Value
	var want []int64
	for round := range 3 {
		for i := range types {
			ty := tensorType("float32", Shape{IntDim(int64(i))})
			if round == 2 { // met again through the first round's instance
				ty = vals[2*i].Type
			}
			vals = append(vals, &Value{Name: "v", Type: ty}, &Value{Name: "w", Type: ty})
			want = append(want, int64(i), int64(i))
		}
	}
	ShareTypes(&Model{Graph: &Graph{ValueInfo: vals}})
	for i, v := range vals {
		if got := v.Type.Shape[0].Size; got != want[i] {
			t.Fatalf("value %d: type of dim %d, want %d", i, got, want[i])
		}
		if v.Type != vals[i%(2*types)].Type {
			t.Fatalf("value %d: equal types not shared", i)
		}
	}
}
