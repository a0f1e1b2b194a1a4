package layout

import (
	"math"
	"slices"
)

// Crossings counts the pairs of drawn edges whose polylines properly cross
// (touching and collinear overlaps are not counted, nor edges that share an
// end box). It is a quality measure for tests and tools, O(S·k) for S
// segments with k segments overlapping in y on average.
func Crossings(v *View) int {
	type seg struct {
		x1, y1, x2, y2 float64
		lo, hi         float64
		edge           int32
	}
	var segs []seg
	for i := range v.Edges {
		p := v.Edges[i].Points
		for j := 0; j+3 < len(p); j += 2 {
			s := seg{x1: p[j], y1: p[j+1], x2: p[j+2], y2: p[j+3], edge: int32(i)}
			s.lo, s.hi = math.Min(s.y1, s.y2), math.Max(s.y1, s.y2)
			segs = append(segs, s)
		}
	}
	slices.SortStableFunc(segs, func(a, b seg) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	type pair struct{ a, b int32 }
	crossed := map[pair]bool{}
	var active []int
	for i := range segs {
		s := &segs[i]
		keep := active[:0]
		for _, k := range active {
			if segs[k].hi >= s.lo {
				keep = append(keep, k)
			}
		}
		active = keep
		for _, k := range active {
			o := &segs[k]
			if o.edge == s.edge || !properCross(o.x1, o.y1, o.x2, o.y2, s.x1, s.y1, s.x2, s.y2) {
				continue
			}
			ea, eb := &v.Edges[o.edge], &v.Edges[s.edge]
			if ea.From == eb.From || ea.From == eb.To || ea.To == eb.From || ea.To == eb.To {
				continue
			}
			p := pair{min(o.edge, s.edge), max(o.edge, s.edge)}
			crossed[p] = true
		}
		active = append(active, i)
	}
	return len(crossed)
}

func properCross(ax, ay, bx, by, cx, cy, dx, dy float64) bool {
	o := func(px, py, qx, qy, rx, ry float64) int {
		c := (qx-px)*(ry-py) - (qy-py)*(rx-px)
		switch {
		case c > 1e-9:
			return 1
		case c < -1e-9:
			return -1
		}
		return 0
	}
	o1, o2 := o(ax, ay, bx, by, cx, cy), o(ax, ay, bx, by, dx, dy)
	o3, o4 := o(cx, cy, dx, dy, ax, ay), o(cx, cy, dx, dy, bx, by)
	return o1*o2 < 0 && o3*o4 < 0
}
