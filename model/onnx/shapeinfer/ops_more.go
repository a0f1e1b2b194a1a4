package shapeinfer

import (
	"slices"

	"github.com/modelpeek/modelpeek/model"
)

func init() {
	register(sameAsInput(0), "ScatterElements", "ScatterND", "Scatter", "ReverseSequence")
	register(likeRule, "EyeLike", "RandomNormalLike", "RandomUniformLike", "Bernoulli")
	register(layerNormRule, "LayerNormalization")
	register(batchNormRule, "BatchNormalization")
	register(dropoutRule, "Dropout")
	register(lossRule, "SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss")
	register(dynQuantRule, "DynamicQuantizeLinear")
	register(depthSpaceRule, "DepthToSpace", "SpaceToDepth")
	register(nonZeroRule, "NonZero")
	register(detRule, "Det")
}

// likeRule: the shape of input 0, the dtype attribute's type or input 0's.
func likeRule(c *nodeCtx) []*model.Type {
	dt := c.dtype(0)
	if c.attr("dtype") != nil {
		dt = ""
		if c.in.opt.DType != nil {
			dt = c.in.opt.DType(c.intAttr("dtype", 0))
		}
	}
	return c.one(tensor(dt, c.shape(0)))
}

// layerNormRule types Y like X, and Mean and InvStdDev as X with the
// normalised axes (axis onwards) set to 1, in the stash_type (float32).
func layerNormRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	out := []*model.Type{tensor(dt, x)}
	if x == nil {
		return out
	}
	ax, ok := axis(c.intAttr("axis", -1), len(x))
	if !ok {
		return out
	}
	s := slices.Clone(x)
	for i := ax; i < len(s); i++ {
		s[i] = model.IntDim(1)
	}
	st := model.DType("float32")
	if c.intAttr("stash_type", 1) != 1 {
		st = ""
	}
	return append(out, tensor(st, s), tensor(st, s))
}

// batchNormRule: Y like X; the training outputs running mean and var
// like the mean input.
func batchNormRule(c *nodeCtx) []*model.Type {
	y := tensor(c.dtype(0), c.shape(0))
	if len(c.n.Outputs) < 3 {
		return c.one(y)
	}
	m := tensor(c.dtype(3), c.shape(3))
	return []*model.Type{y, m, tensor(c.dtype(4), c.shape(4))}
}

func dropoutRule(c *nodeCtx) []*model.Type {
	return []*model.Type{tensor(c.dtype(0), c.shape(0)), tensor("bool", c.shape(0))}
}

// lossRule: a scalar for reduction mean or sum, the target's shape for
// none; SoftmaxCrossEntropyLoss's log_prob is shaped like the scores.
func lossRule(c *nodeCtx) []*model.Type {
	dt := c.dtype(0)
	loss := tensor(dt, model.Shape{})
	if a := c.attr("reduction"); a != nil && a.String == "none" {
		loss = tensor(dt, c.shape(1))
	}
	return []*model.Type{loss, tensor(dt, c.shape(0))}
}

func dynQuantRule(c *nodeCtx) []*model.Type {
	return []*model.Type{tensor("uint8", c.shape(0)), tensor("float32", model.Shape{}), tensor("uint8", model.Shape{})}
}

// depthSpaceRule moves blocksize² of the channels into the two spatial
// dims (DepthToSpace) or back (SpaceToDepth).
func depthSpaceRule(c *nodeCtx) []*model.Type {
	x, dt := c.shape(0), c.dtype(0)
	b := c.intAttr("blocksize", 0)
	if len(x) != 4 || b <= 0 {
		return c.one(tensor(dt, unknownShape(4)))
	}
	mul := func(d model.Dim, up bool) model.Dim {
		switch {
		case !d.Known:
			return unknownDim
		case up:
			return model.IntDim(d.Size * b)
		case d.Size%b != 0:
			return unknownDim
		}
		return model.IntDim(d.Size / b)
	}
	up := c.n.OpType == "DepthToSpace"
	ch := x[1]
	if ch.Known {
		if up && ch.Size%(b*b) == 0 {
			ch = model.IntDim(ch.Size / (b * b))
		} else if !up {
			ch = model.IntDim(ch.Size * b * b)
		} else {
			ch = unknownDim
		}
	}
	return c.one(tensor(dt, model.Shape{x[0], ch, mul(x[2], up), mul(x[3], up)}))
}

func nonZeroRule(c *nodeCtx) []*model.Type {
	x := c.shape(0)
	if x == nil {
		return c.one(tensor("int64", unknownShape(2)))
	}
	return c.one(tensor("int64", model.Shape{model.IntDim(int64(len(x))), unknownDim}))
}

func detRule(c *nodeCtx) []*model.Type {
	x := c.shape(0)
	if len(x) < 2 {
		return c.one(tensor(c.dtype(0), nil))
	}
	return c.one(tensor(c.dtype(0), slices.Clone(x[:len(x)-2])))
}
