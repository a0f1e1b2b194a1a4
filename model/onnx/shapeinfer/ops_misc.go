package shapeinfer

import (
	"math"
	"slices"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

func init() {
	register(einsumRule, "Einsum")
	register(rangeRule, "Range")
	register(oneHotRule, "OneHot")
	register(gatherNDRule, "GatherND")
}

// einsumRule reads the equation: each input's letters name its dims (an
// ellipsis stands for broadcast leading dims); the output is the explicit
// right-hand side, or the ellipsis then the letters used once, sorted.
func einsumRule(c *nodeCtx) []*model.Type {
	a := c.attr("equation")
	dt := c.dtype(0)
	if a == nil || a.Type != model.AttrString {
		return c.one(tensor(dt, nil))
	}
	eq := strings.ReplaceAll(a.String, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	if len(terms) != len(c.n.Inputs) {
		return c.one(tensor(dt, nil))
	}
	dims, count := map[rune]model.Dim{}, map[rune]int{}
	var ell []model.Shape
	for i, term := range terms {
		e, ok := einsumTerm(term, c.shape(i), dims, count)
		if !ok {
			return c.one(tensor(dt, nil))
		}
		ell = append(ell, e)
	}
	ellipsis := broadcast(ell...)
	if !explicit {
		var once []rune
		for r, n := range count {
			if n == 1 {
				once = append(once, r)
			}
		}
		slices.Sort(once)
		rhs = "..." + string(once)
	}
	var out model.Shape
	pre, post, hasEll := strings.Cut(rhs, "...")
	if !hasEll {
		pre, post = rhs, ""
	}
	for _, r := range pre {
		out = append(out, dims[r])
	}
	if hasEll {
		out = append(out, ellipsis...)
	}
	for _, r := range post {
		out = append(out, dims[r])
	}
	return c.one(tensor(dt, append(model.Shape{}, out...)))
}

// einsumTerm binds one operand's letters to its dims and returns the dims
// its ellipsis covers; false when the rank does not fit the term.
func einsumTerm(term string, s model.Shape, dims map[rune]model.Dim, count map[rune]int) (model.Shape, bool) {
	if s == nil {
		return nil, false
	}
	pre, post, hasEll := strings.Cut(term, "...")
	if !hasEll {
		pre, post = term, ""
	}
	nLetters := len(pre) + len(post)
	if len(s) < nLetters || (!hasEll && len(s) != nLetters) {
		return nil, false
	}
	bind := func(letters string, at int) {
		for i, r := range letters {
			count[r]++
			if d, ok := dims[r]; !ok || (!d.Known && s[at+i].Known) {
				dims[r] = s[at+i]
			}
		}
	}
	bind(pre, 0)
	bind(post, len(s)-len(post))
	return s[len(pre) : len(s)-len(post)], true
}

// rangeRule: max(ceil((limit - start) / delta), 0) elements, from
// constant scalars.
func rangeRule(c *nodeCtx) []*model.Type {
	dt := c.dtype(0)
	var v [3]float64
	for i := range v {
		if k, ok := c.ints(i, ""); ok && len(k) == 1 {
			v[i] = float64(k[0])
		} else if f, ok := c.floatsOf(i); ok && len(f) == 1 {
			v[i] = f[0]
		} else {
			return c.one(tensor(dt, unknownShape(1)))
		}
	}
	if v[2] == 0 {
		return c.one(tensor(dt, unknownShape(1)))
	}
	n := math.Max(math.Ceil((v[1]-v[0])/v[2]), 0)
	if n > math.MaxInt32 || math.IsNaN(n) {
		return c.one(tensor(dt, unknownShape(1)))
	}
	return c.one(tensor(dt, model.Shape{model.IntDim(int64(n))}))
}

// floatsOf returns input i's small float constant.
func (c *nodeCtx) floatsOf(i int) ([]float64, bool) {
	if !c.has(i) {
		return nil, false
	}
	return c.in.constFloats(c.n.Inputs[i])
}

// oneHotRule inserts the depth at axis into the indices' shape.
func oneHotRule(c *nodeCtx) []*model.Type {
	idx, dt := c.shape(0), c.dtype(2)
	if idx == nil {
		return c.one(tensor(dt, nil))
	}
	ax, ok := axis(c.intAttr("axis", -1), len(idx)+1)
	if !ok {
		return nil
	}
	depth := unknownDim
	if k, ok := c.ints(1, ""); ok && len(k) == 1 && k[0] > 0 {
		depth = model.IntDim(k[0])
	} else if f, ok := c.floatsOf(1); ok && len(f) == 1 && f[0] >= 1 && f[0] < math.MaxInt32 {
		depth = model.IntDim(int64(f[0]))
	}
	out := slices.Insert(slices.Clone(idx), ax, depth)
	return c.one(tensor(dt, out))
}

// gatherNDRule: indices[:-1] + data[batch_dims + indices[-1]:].
func gatherNDRule(c *nodeCtx) []*model.Type {
	data, idx, dt := c.shape(0), c.shape(1), c.dtype(0)
	b := c.intAttr("batch_dims", 0)
	if data == nil || len(idx) == 0 || !idx[len(idx)-1].Known || b < 0 {
		return c.one(tensor(dt, nil))
	}
	from := b + idx[len(idx)-1].Size
	if from > int64(len(data)) || from < 0 {
		return nil
	}
	out := append(slices.Clone(idx[:len(idx)-1]), data[from:]...)
	return c.one(tensor(dt, out))
}
