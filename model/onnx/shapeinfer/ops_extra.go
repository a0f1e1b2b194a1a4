package shapeinfer

import (
	"math"
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

// domainRules are the rules of operators outside the default domain,
// keyed "domain::op".
var domainRules = map[string]rule{
	"ai.onnx.preview.training::Adagrad":  optimizerRule(1),
	"ai.onnx.preview.training::Momentum": optimizerRule(1),
	"ai.onnx.preview.training::Adam":     optimizerRule(2),
}

func init() {
	register(gridSampleRule, "GridSample")
	register(roiAlignRule, "RoiAlign")
	register(dftRule, "DFT")
	register(tfIdfRule, "TfIdfVectorizer")
}

// optimizerRule types the training optimizers' outputs. Their inputs are
// R, T, then groups of n tensors (X, G, and `states` state groups: H for
// Adagrad, V for Momentum, V and H for Adam); the outputs are the new X
// and the new states, each shaped and typed like its input.
func optimizerRule(states int) rule {
	return func(c *nodeCtx) []*model.Type {
		groups := 2 + states
		if (len(c.n.Inputs)-2)%groups != 0 {
			return nil
		}
		n := (len(c.n.Inputs) - 2) / groups
		out := make([]*model.Type, 0, n*(1+states))
		for g := range 1 + states {
			src := 2 // X
			if g > 0 {
				src = 2 + (1+g)*n // the state groups follow X and G
			}
			for i := range n {
				out = append(out, tensor(c.dtype(src+i), c.shape(src+i)))
			}
		}
		return out
	}
}

// gridSampleRule: Y is [N, C] of X followed by grid's spatial dims
// (grid is [N, D1..Dk, k]).
func gridSampleRule(c *nodeCtx) []*model.Type {
	x, grid := c.shape(0), c.shape(1)
	if x == nil || grid == nil || len(x) < 3 || len(grid) != len(x) {
		return c.one(tensor(c.dtype(0), nil))
	}
	s := append(model.Shape{x[0], x[1]}, grid[1:len(grid)-1]...)
	return c.one(tensor(c.dtype(0), s))
}

// roiAlignRule: Y is [num_rois, C, output_height, output_width], the
// number of rois from rois ([num_rois, 4]) or batch_indices.
func roiAlignRule(c *nodeCtx) []*model.Type {
	x, rois := c.shape(0), c.shape(1)
	if len(x) != 4 || len(rois) != 2 {
		return c.one(tensor(c.dtype(0), nil))
	}
	n := rois[0]
	if b := c.shape(2); !n.Known && len(b) == 1 && b[0].Known {
		n = b[0]
	}
	s := model.Shape{n, x[1], positiveDim(c.intAttr("output_height", 1)), positiveDim(c.intAttr("output_width", 1))}
	return c.one(tensor(c.dtype(0), s))
}

// positiveDim is a size read from a file: unknown unless positive.
func positiveDim(v int64) model.Dim {
	if v <= 0 {
		return unknownDim
	}
	return model.IntDim(v)
}

// dftRule (opset 17): the input's shape with the last dim (1 real, 2
// complex) made 2; along axis, dft_length when given, halved plus one
// when onesided.
func dftRule(c *nodeCtx) []*model.Type {
	x := c.shape(0)
	if len(x) < 3 {
		return c.one(tensor(c.dtype(0), nil))
	}
	s := slices.Clone(x)
	s[len(s)-1] = model.IntDim(2)
	ax, ok := axis(c.intAttr("axis", 1), len(s))
	if !ok || ax == len(s)-1 {
		return c.one(tensor(c.dtype(0), nil))
	}
	if c.has(1) {
		v, ok := c.ints(1, "")
		s[ax] = unknownDim
		if ok && len(v) == 1 {
			s[ax] = positiveDim(v[0])
		}
	}
	if c.intAttr("onesided", 0) == 1 {
		if d := s[ax]; d.Known {
			s[ax] = model.IntDim(d.Size/2 + 1)
		} else {
			s[ax] = unknownDim
		}
	}
	return c.one(tensor(c.dtype(0), s))
}

// tfIdfRule: float32 [C] or [N, C] with C = max(ngram_indexes) + 1.
func tfIdfRule(c *nodeCtx) []*model.Type {
	x := c.shape(0)
	idx, ok := c.intsAttr("ngram_indexes")
	if !ok || len(idx) == 0 || x == nil || len(x) > 2 {
		return c.one(tensor("float32", nil))
	}
	hi := slices.Max(idx)
	if hi < 0 || hi == math.MaxInt64 {
		return c.one(tensor("float32", nil))
	}
	cols := model.IntDim(hi + 1)
	if len(x) == 2 {
		return c.one(tensor("float32", model.Shape{x[0], cols}))
	}
	return c.one(tensor("float32", model.Shape{cols}))
}
