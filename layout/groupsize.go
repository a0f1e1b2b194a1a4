package layout

import (
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// groupSizes sums, for every kept group, the parameters and stored bytes
// of the weights its op boxes consume (a weight counts once, in the group
// of its first consumer, and in that group's ancestors).
func groupSizes(b *built, gt *groupTree) (params, bytes []int64) {
	params, bytes = make([]int64, gt.len()), make([]int64, gt.len())
	if gt.len() == 0 {
		return params, bytes
	}
	// Each weight counts once, in the group of its first consumer in box
	// order; values are build's ids, so no name is looked up.
	counted := make([]bool, len(b.vinit))
	for i := range b.boxes {
		bx := &b.boxes[i]
		if bx.kind != KindOp || bx.index < 0 || int(bx.index)+1 >= len(b.inOff) || bx.group < 0 {
			continue
		}
		for _, v := range b.inFlat[b.inOff[bx.index]:b.inOff[bx.index+1]] {
			if v < 0 || b.vinit[v] == nil || counted[v] {
				continue
			}
			counted[v] = true
			t := b.vinit[v]
			n, _ := model.NumElements(t.Shape)
			for _, gi := range gt.chain[bx.group] {
				params[gi] += n
				bytes[gi] += model.TensorBytes(t)
			}
		}
	}
	return params, bytes
}

// sizeLine is a collapsed group's size line, "218M params · 416 MiB", or ""
// for a group without weights.
func sizeLine(params, bytes int64) string {
	if params <= 0 {
		return ""
	}
	s := compact(params, 1000, []string{"", "K", "M", "B", "T"}, "") + " params"
	if bytes > 0 {
		s += " · " + compact(bytes, 1024, []string{"B", "KiB", "MiB", "GiB", "TiB"}, " ")
	}
	return s
}

// compact writes n with three significant digits and a unit by steps of
// base.
func compact(n int64, base float64, units []string, sep string) string {
	f, k := float64(n), 0
	for f >= base && k < len(units)-1 {
		f /= base
		k++
	}
	if k == 0 {
		return strconv.FormatInt(n, 10) + sep + units[0]
	}
	prec := 2
	switch {
	case f >= 100:
		prec = 0
	case f >= 10:
		prec = 1
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + sep + units[k]
}
