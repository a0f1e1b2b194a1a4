package cost

import "github.com/modelpeek/modelpeek/model"

// convAt is a convolution with its weight at input w ([Cout, Cin/groups,
// k...]): output elements × Cin/groups × kernel.
func convAt(w int) macRule {
	return func(c *nodeCtx) (Term, bool) {
		ws := c.in(w)
		if len(ws) < 2 {
			return Term{}, false
		}
		t, ok := one().mulShape(c.out(0))
		if ok && c.out(0) != nil {
			return t.mulShape(ws[1:])
		}
		return Term{}, false
	}
}

// convTranspose scatters every input element over Cout/groups × kernel:
// weight [Cin, Cout/groups, k...].
func convTranspose(c *nodeCtx) (Term, bool) {
	ws, x := c.in(1), c.in(0)
	if len(ws) < 2 || x == nil {
		return Term{}, false
	}
	t, ok := one().mulShape(x)
	if !ok {
		return Term{}, false
	}
	return t.mulShape(ws[1:])
}

// gemm is output elements × K, K from A ([M, K], or [K, M] transposed).
func gemm(c *nodeCtx) (Term, bool) {
	a, y := c.in(0), c.out(0)
	if len(a) != 2 || y == nil {
		return Term{}, false
	}
	k := a[1]
	if c.intAttr("transA", 0) != 0 {
		k = a[0]
	}
	t, ok := one().mulShape(y)
	if !ok {
		return Term{}, false
	}
	return t.mulDim(k)
}

// matmulAt is a (batched) matrix product with A at input a: output
// elements × A's last dim (the second last when transposed).
func matmulAt(a int) macRule {
	return func(c *nodeCtx) (Term, bool) {
		as, y := c.in(a), c.out(0)
		if len(as) == 0 || y == nil {
			return Term{}, false
		}
		k := as[len(as)-1]
		if (c.intAttr("transA", 0) != 0 || c.intAttr("adj_x", 0) != 0) && len(as) >= 2 {
			k = as[len(as)-2]
		}
		t, ok := one().mulShape(y)
		if !ok {
			return Term{}, false
		}
		return t.mulDim(k)
	}
}

// attention is scaled dot-product attention: Q·Kᵀ and weights·V, that is
// batch × query heads × query length × key length × (head dim + value
// head dim). Q, K, V are [B, H, S, D] or [B, S, H·D] (heads from the
// q_num_heads / kv_num_heads or num_heads attributes).
func attention(c *nodeCtx) (Term, bool) {
	q, k, v := c.in(0), c.in(1), c.in(2)
	if q == nil || k == nil || v == nil || len(q) != len(k) || len(k) != len(v) {
		return Term{}, false
	}
	switch len(q) {
	case 4:
		if !q[3].Known || !v[3].Known {
			return Term{}, false
		}
		return one().mulShape(model.Shape{q[0], q[1], q[2], k[2], model.IntDim(q[3].Size + v[3].Size)})
	case 3:
		hq := c.intAttr("q_num_heads", c.intAttr("num_heads", 0))
		hkv := c.intAttr("kv_num_heads", c.intAttr("num_heads", 0))
		if !q[2].Known || !v[2].Known || hq <= 0 || hkv <= 0 || v[2].Size%hkv != 0 {
			return Term{}, false
		}
		width := q[2].Size + hq*(v[2].Size/hkv)
		return one().mulShape(model.Shape{q[0], q[1], k[1], model.IntDim(width)})
	}
	return Term{}, false
}

// recurrent is LSTM, GRU and RNN: per step and batch row, every weight
// of W ([dirs, gates·hidden, input]) and R ([dirs, gates·hidden, hidden])
// once, times the sequence length and batch of X.
func recurrent(c *nodeCtx) (Term, bool) {
	x, w, r := c.in(0), c.in(1), c.in(2)
	if len(x) != 3 || w == nil || r == nil {
		return Term{}, false
	}
	seq, batch := x[0], x[1]
	if c.intAttr("layout", 0) == 1 {
		seq, batch = x[1], x[0]
	}
	t, ok := one().mulShape(w)
	if !ok {
		return Term{}, false
	}
	rw, ok := one().mulShape(r)
	if !ok || len(t.Syms)+len(rw.Syms) > 0 {
		return Term{}, false
	}
	t.Coef = satAdd(t.Coef, rw.Coef)
	if t, ok = t.mulDim(seq); !ok {
		return Term{}, false
	}
	return t.mulDim(batch)
}
