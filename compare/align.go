package compare

import (
	"cmp"
	"slices"
)

// maxAlignCells bounds the alignment table (bytes): graphs whose
// unmatched parts are larger skip this stage.
const maxAlignCells = 16 << 20

// byAlignment pairs the unmatched nodes of two graphs of different
// formats by aligning their op sequences along the data path (a longest
// common subsequence): fusions and format-specific nodes (padding,
// quantisation, splits) are skipped, the order of the rest is kept.
func (m *matcher) byAlignment() {
	as, bs := m.unmatchedInOrder(m.a), m.unmatchedInOrder(m.b)
	if len(as) == 0 || len(bs) == 0 || len(as)*len(bs) > maxAlignCells {
		return
	}
	lcs := m.lcsTable(as, bs)
	w := len(bs) + 1
	for i, j := len(as), len(bs); i > 0 && j > 0; {
		switch {
		case m.a.nodes[as[i-1]].op == m.b.nodes[bs[j-1]].op && lcs[i*w+j] == lcs[(i-1)*w+j-1]+1:
			i, j = i-1, j-1
			m.pair(as[i], bs[j], 0) // scored below, once every pair is known
		case lcs[(i-1)*w+j] >= lcs[i*w+j-1]:
			i--
		default:
			j--
		}
	}
	for _, i := range as {
		if j := m.a.nodes[i].match; j >= 0 {
			s := m.score(i, j)
			m.a.nodes[i].score, m.b.nodes[j].score = s, s
		}
	}
}

// lcsTable fills the longest-common-subsequence lengths of two op
// sequences, row-major with len(bs)+1 columns.
func (m *matcher) lcsTable(as, bs []int) []int32 {
	w := len(bs) + 1
	t := make([]int32, (len(as)+1)*w)
	for i := 1; i <= len(as); i++ {
		op := m.a.nodes[as[i-1]].op
		for j := 1; j <= len(bs); j++ {
			switch {
			case op == m.b.nodes[bs[j-1]].op:
				t[i*w+j] = t[(i-1)*w+j-1] + 1
			default:
				t[i*w+j] = max(t[(i-1)*w+j], t[i*w+j-1])
			}
		}
	}
	return t
}

// unmatchedInOrder lists unmatched nodes by position, then file order.
func (m *matcher) unmatchedInOrder(x *index) []int {
	var is []int
	for i := range x.nodes {
		if x.nodes[i].match < 0 {
			is = append(is, i)
		}
	}
	slices.SortStableFunc(is, func(p, q int) int { return cmp.Compare(x.nodes[p].pos, x.nodes[q].pos) })
	return is
}
