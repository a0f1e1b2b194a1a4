package shapeinfer

import "github.com/modelpeek/modelpeek/model"

var unknownDim = model.Dim{}

// broadcast is numpy multidirectional broadcasting of shapes; nil when a
// rank is unknown. A pair of dims whose result cannot be known (two
// different names, a name and an unknown) gives an unknown dim.
func broadcast(shapes ...model.Shape) model.Shape {
	r := 0
	for _, s := range shapes {
		if s == nil {
			return nil
		}
		r = max(r, len(s))
	}
	out := make(model.Shape, r)
	var buf [4]model.Dim // the dims of one axis, on the stack for up to four inputs
	for i := range out {
		ds := buf[:0]
		for _, s := range shapes {
			if j := i - (r - len(s)); j >= 0 {
				ds = append(ds, s[j])
			}
		}
		out[i] = broadcastDim(ds)
	}
	return out
}

// broadcastDim merges the dims of one axis: 1s drop out; a known size
// other than 1 wins (a valid model's other dims are then 1 or equal); equal
// names stay; anything else is unknown.
func broadcastDim(ds []model.Dim) model.Dim {
	var first *model.Dim // the first dim of unknown size
	same := true         // whether every such dim has first's name
	for i := range ds {
		d := &ds[i]
		switch {
		case d.Known && d.Size == 1:
		case d.Known:
			return *d
		case first == nil:
			first = d
		case d.Param == "" || d.Param != first.Param:
			same = false
		}
	}
	switch {
	case first == nil:
		return model.IntDim(1)
	case !same:
		return unknownDim
	}
	return *first
}

// axis normalises a possibly negative axis for rank r; false when out of
// range.
func axis(a int64, r int) (int, bool) {
	if a < 0 {
		a += int64(r)
	}
	return int(a), a >= 0 && a < int64(r)
}

// product multiplies known dims; false when one is not known.
func product(ds []model.Dim) (int64, bool) {
	p := int64(1)
	for _, d := range ds {
		if !d.Known {
			return 0, false
		}
		p *= d.Size
	}
	return p, true
}

// productDim is the product of dims as one dim: known when every dim is,
// the one symbolic dim when the others are all 1, otherwise unknown.
func productDim(ds []model.Dim) model.Dim {
	if p, ok := product(ds); ok {
		return model.IntDim(p)
	}
	var sym *model.Dim
	for i, d := range ds {
		switch {
		case d.Known && d.Size == 1:
		case !d.Known && d.Param != "" && sym == nil:
			sym = &ds[i]
		default:
			return unknownDim
		}
	}
	return *sym
}

// unknownShape is a shape of rank r with every dim unknown; nil (rank
// unknown) for a negative or absurd rank.
func unknownShape(r int) model.Shape {
	if r < 0 || r > maxConstElems {
		return nil
	}
	return make(model.Shape, r)
}

// sameDim reports whether two dims are known to be equal.
func sameDim(a, b model.Dim) bool {
	return (a.Known && b.Known && a.Size == b.Size) || (!a.Known && !b.Known && a.Param != "" && a.Param == b.Param)
}
