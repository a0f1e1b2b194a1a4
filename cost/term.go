package cost

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Term is a product: Coef times the symbolic dimensions named in Syms
// (sorted, a name repeated for each power). A node's multiply-accumulates
// are one Term: every formula here is a product of dimensions.
type Term struct {
	Coef int64
	Syms []string
}

// one is the empty product.
func one() Term { return Term{Coef: 1} }

// mulInt multiplies by a known integer; false on overflow or a negative
// factor.
func (t Term) mulInt(n int64) (Term, bool) {
	if n < 0 {
		return t, false
	}
	hi, lo := bits.Mul64(uint64(t.Coef), uint64(n))
	if hi != 0 || lo > math.MaxInt64 {
		return t, false
	}
	t.Coef = int64(lo)
	return t, true
}

// mulDim multiplies by a dimension: a known size, or a symbol kept by
// name; false when the dimension is unknown.
func (t Term) mulDim(d model.Dim) (Term, bool) {
	switch {
	case d.Known:
		return t.mulInt(d.Size)
	case d.Param != "":
		syms := make([]string, len(t.Syms), len(t.Syms)+1)
		copy(syms, t.Syms)
		i, _ := slices.BinarySearch(syms, d.Param)
		t.Syms = slices.Insert(syms, i, d.Param)
		return t, true
	}
	return t, false
}

// mulShape multiplies by every dimension of s; false when s is nil
// (rank unknown) or has an unknown dimension.
func (t Term) mulShape(s model.Shape) (Term, bool) {
	if s == nil {
		return t, false
	}
	ok := true
	for _, d := range s {
		if t, ok = t.mulDim(d); !ok {
			return t, false
		}
	}
	return t, true
}

// mulTerm multiplies two terms.
func (t Term) mulTerm(u Term) (Term, bool) {
	t, ok := t.mulInt(u.Coef)
	for _, s := range u.Syms {
		if !ok {
			break
		}
		t, ok = t.mulDim(model.Dim{Param: s})
	}
	return t, ok
}

// Eval evaluates the term with values for its symbols (1 for a symbol
// not in dims), saturating at the largest int64.
func (t Term) Eval(dims map[string]int64) int64 {
	v := t
	for _, s := range t.Syms {
		n, ok := dims[s]
		if !ok {
			n = 1
		}
		var fine bool
		if v, fine = v.mulInt(n); !fine {
			return math.MaxInt64
		}
	}
	return v.Coef
}

// String spells the term: "1204224·batch".
func (t Term) String() string {
	s := strconv.FormatInt(t.Coef, 10)
	if len(t.Syms) > 0 {
		s += "·" + t.key()
	}
	return s
}

// key names the product of symbols ("" for a number).
func (t Term) key() string { return strings.Join(t.Syms, "·") }

// Poly is a sum of terms, one per distinct product of symbols.
type Poly map[string]int64

// add adds a term, saturating.
func (p Poly) add(t Term) {
	if t.Coef == 0 {
		return
	}
	k := t.key()
	p[k] = satAdd(p[k], t.Coef)
}

// String spells the polynomial with its largest power first:
// "1814083944·batch + 1000".
func (p Poly) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if la, lb := strings.Count(a, "·"), strings.Count(b, "·"); la != lb || (a == "") != (b == "") {
			return degree(b) - degree(a)
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		s := strconv.FormatInt(p[k], 10)
		if k != "" {
			s += "·" + k
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " + ")
}

// Symbolic reports whether some term has a symbol.
func (p Poly) Symbolic() bool {
	for k := range p {
		if k != "" {
			return true
		}
	}
	return false
}

func degree(k string) int {
	if k == "" {
		return 0
	}
	return strings.Count(k, "·") + 1
}

// satAdd adds non-negative numbers, saturating at the largest int64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul multiplies non-negative numbers, saturating.
func satMul(a, b int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}
