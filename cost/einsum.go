package cost

import (
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// einsum counts a contraction of two or more operands as the product of
// every index's size (each output element sums over the contracted
// indices); a single operand (transpose, trace, sum) is other work.
func einsum(c *nodeCtx) (Term, bool) {
	a := c.attr("equation")
	if a == nil || a.Type != model.AttrString {
		return Term{}, false
	}
	lhs, _, _ := strings.Cut(strings.ReplaceAll(a.String, " ", ""), "->")
	terms := strings.Split(lhs, ",")
	if len(terms) != len(c.n.Inputs) {
		return Term{}, false
	}
	if len(terms) < 2 {
		t, ok := one().mulShape(c.in(0))
		return Term{}, ok && t.Coef >= 0
	}
	sizes := map[rune]model.Dim{}
	var ellipsis model.Shape
	for i, term := range terms {
		s := c.in(i)
		if s == nil || !indexSizes(term, s, sizes, &ellipsis) {
			return Term{}, false
		}
	}
	t, ok := one(), true
	if ellipsis != nil {
		t, ok = t.mulShape(ellipsis)
	}
	for _, d := range sizes {
		if !ok {
			break
		}
		t, ok = t.mulDim(d)
	}
	return t, ok
}

// indexSizes records the size of each index letter of one operand, and
// the broadcast dims its ellipsis stands for.
func indexSizes(term string, s model.Shape, sizes map[rune]model.Dim, ellipsis *model.Shape) bool {
	pre, post, has := strings.Cut(term, "...")
	letters := []rune(pre + post)
	if !has && len(letters) != len(s) || has && len(letters) > len(s) {
		return false
	}
	nEll := len(s) - len(letters)
	for i, r := range []rune(pre) {
		keepLarger(sizes, r, s[i])
	}
	for i, r := range []rune(post) {
		keepLarger(sizes, r, s[len([]rune(pre))+nEll+i])
	}
	if has {
		ell := s[len([]rune(pre)) : len([]rune(pre))+nEll]
		*ellipsis = broadcastShape(*ellipsis, ell)
	}
	return true
}

// keepLarger records an index's size; a broadcast 1 yields to a size.
func keepLarger(sizes map[rune]model.Dim, r rune, d model.Dim) {
	if old, ok := sizes[r]; !ok || old.Known && old.Size == 1 {
		sizes[r] = d
	}
}

// broadcastShape broadcasts two shapes right-aligned; a 1 yields.
func broadcastShape(a, b model.Shape) model.Shape {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := append(model.Shape(nil), a...)
	off := len(a) - len(b)
	for i, d := range b {
		if o := out[off+i]; o.Known && o.Size == 1 {
			out[off+i] = d
		}
	}
	return out
}
