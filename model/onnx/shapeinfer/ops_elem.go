package shapeinfer

import "github.com/modelpeek/modelpeek/model"

var rules = map[string]rule{}

func register(r rule, ops ...string) {
	for _, op := range ops {
		rules[op] = r
	}
}

func init() {
	register(sameAsInput(0), "Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Neg", "Abs", "Exp", "Log",
		"Ceil", "Floor", "Round", "Reciprocal", "HardSigmoid", "LeakyRelu", "Elu", "Selu", "Softplus",
		"Softsign", "Gelu", "HardSwish", "Mish", "Clip", "Identity", "Softmax", "LogSoftmax", "Hardmax",
		"Not", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
		"Celu", "ThresholdedRelu", "Shrink", "Sign", "LRN", "InstanceNormalization", "CumSum", "Trilu",
		"PRelu", "GroupNormalization", "MeanVarianceNormalization",
		"LpNormalization", "BitwiseNot")
	register(withDType(sameAsInput(0), "bool"), "IsNaN", "IsInf")
	register(broadcastRule("", 0), "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
		"Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor")
	register(broadcastRule("bool", 0), "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
		"And", "Or", "Xor")
	register(broadcastRule("", 1), "Where")
	register(castRule, "Cast")
	register(func(c *nodeCtx) []*model.Type { return c.one(tensor(c.dtype(1), c.shape(0))) }, "CastLike")
	register(dequantRule, "DequantizeLinear")
	register(quantRule, "QuantizeLinear")
	register(constantRule, "Constant")
}

// sameAsInput gives output 0 input i's type.
func sameAsInput(i int) rule {
	return func(c *nodeCtx) []*model.Type {
		t := c.typ(i)
		if t == nil {
			return nil
		}
		return c.one(tensor(t.DType, t.Shape))
	}
}

// withDType replaces the dtype of a rule's outputs.
func withDType(r rule, dt model.DType) rule {
	return func(c *nodeCtx) []*model.Type {
		out := r(c)
		for i, t := range out {
			if t != nil {
				out[i] = tensor(dt, t.Shape)
			}
		}
		return out
	}
}

// broadcastRule broadcasts every input's shape; the dtype is dt, or input
// dtFrom's when dt is "".
func broadcastRule(dt model.DType, dtFrom int) rule {
	return func(c *nodeCtx) []*model.Type {
		var buf [4]model.Shape // on the stack for up to four inputs
		shapes := buf[:0]
		for i := range c.n.Inputs {
			shapes = append(shapes, c.shape(i))
		}
		out := dt
		if out == "" {
			out = c.dtype(dtFrom)
		}
		return c.one(tensor(out, broadcast(shapes...)))
	}
}

func castRule(c *nodeCtx) []*model.Type {
	var dt model.DType
	if c.in.opt.DType != nil && c.attr("to") != nil {
		dt = c.in.opt.DType(c.intAttr("to", 0))
	}
	return c.one(tensor(dt, c.shape(0)))
}

func dequantRule(c *nodeCtx) []*model.Type {
	dt := c.dtype(1)
	if dt == "" {
		dt = "float32"
	}
	return c.one(tensor(dt, c.shape(0)))
}

func quantRule(c *nodeCtx) []*model.Type {
	dt := model.DType("uint8")
	switch {
	case c.has(2):
		dt = c.dtype(2)
	case c.attr("output_dtype") != nil && c.in.opt.DType != nil:
		dt = c.in.opt.DType(c.intAttr("output_dtype", 0))
	}
	return c.one(tensor(dt, c.shape(0)))
}

func constantRule(c *nodeCtx) []*model.Type {
	for _, a := range c.n.Attrs {
		switch a.Name {
		case "value", "sparse_value":
			if len(a.Tensors) == 1 && a.Tensors[0] != nil {
				t := a.Tensors[0]
				return c.one(tensor(t.DType, model.ShapeOf(t.Shape)))
			}
		case "value_float":
			return c.one(tensor("float32", model.Shape{}))
		case "value_int":
			return c.one(tensor("int64", model.Shape{}))
		case "value_string":
			return c.one(tensor("string", model.Shape{}))
		case "value_floats", "value_ints", "value_strings":
			return c.one(constantList(a))
		}
	}
	return nil
}

func constantList(a model.Attribute) *model.Type {
	n := a.Count
	if !a.Truncated {
		n = int64(len(a.Ints) + len(a.Floats) + len(a.Strings))
	}
	dt := map[string]model.DType{"value_floats": "float32", "value_ints": "int64", "value_strings": "string"}[a.Name]
	return tensor(dt, model.Shape{model.IntDim(n)})
}
