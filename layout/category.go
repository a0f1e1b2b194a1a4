package layout

import "strings"

// Category returns the colour class of an operator: layer, activation,
// normalization, pooling, shape, control, quantization, custom, or "" for
// plain arithmetic and unknown operators. hint, when not empty, wins (a
// decoder's own Category).
func Category(opType, domain, hint string) string {
	if hint != "" {
		return hint
	}
	key := strings.ToLower(strings.ReplaceAll(opType, "_", ""))
	if c, ok := categoryOf(key); ok {
		return c
	}
	switch {
	case strings.HasPrefix(key, "qlinear"), strings.HasPrefix(key, "quantize"), strings.HasPrefix(key, "dequantize"):
		return "quantization"
	case strings.HasPrefix(key, "conv"), strings.HasPrefix(key, "matmul"):
		return "layer"
	case strings.HasSuffix(key, "pool") || strings.HasSuffix(key, "pool2d"):
		return "pooling"
	case strings.HasSuffix(key, "normalization") || strings.HasSuffix(key, "norm"):
		return "normalization"
	case strings.HasPrefix(key, "custom") || (domain != "" && domain != "ai.onnx.ml"):
		return "custom"
	}
	return ""
}

func categoryOf(key string) (string, bool) {
	switch key {
	case "conv", "convtranspose", "conv2d", "conv3d", "depthwiseconv2d", "transposeconv",
		"gemm", "matmul", "fullyconnected", "batchmatmul", "einsum", "lstm", "gru", "rnn",
		"unidirectionalsequencelstm", "bidirectionalsequencelstm", "unidirectionalsequencernn",
		"embedding", "embeddinglookup", "attention", "multiheadattention", "fusedmatmul", "linear", "dense":
		return "layer", true
	case "relu", "relu6", "relun1to1", "leakyrelu", "prelu", "elu", "selu", "celu", "gelu", "sigmoid",
		"hardsigmoid", "hardswish", "tanh", "softmax", "logsoftmax", "softplus", "softsign", "clip",
		"mish", "silu", "swish", "logistic", "thresholdedrelu", "shrink", "quickgelu", "fastgelu", "biasgelu":
		return "activation", true
	case "batchnormalization", "layernormalization", "instancenormalization", "groupnormalization",
		"lrn", "localresponsenormalization", "l2normalization", "rmsnormalization",
		"simplifiedlayernormalization", "skiplayernormalization", "lpnormalization", "meanvariancenormalization":
		return "normalization", true
	case "maxpool", "averagepool", "globalaveragepool", "globalmaxpool", "lppool", "globallppool",
		"maxpool2d", "averagepool2d", "l2pool2d", "roialign", "maxroipool", "maxunpool":
		return "pooling", true
	case "reshape", "transpose", "flatten", "squeeze", "unsqueeze", "concat", "concatenation", "split",
		"splitv", "slice", "stridedslice", "gather", "gatherelements", "gathernd", "scatter",
		"scatterelements", "scatternd", "expand", "tile", "shape", "size", "pad", "padv2", "identity",
		"cast", "constant", "constantofshape", "range", "depthtospace", "spacetodepth", "resize",
		"upsample", "pack", "unpack", "resizebilinear", "resizenearestneighbor", "broadcastto",
		"expanddims", "mirrorpad", "reverse", "reversev2", "onehot", "where", "select", "selectv2",
		"compress", "nonzero", "trilu", "castlike", "dropout":
		return "shape", true
	case "if", "loop", "scan", "while", "call", "callonce", "sequencemap":
		return "control", true
	case "quantizelinear", "dequantizelinear", "dynamicquantizelinear", "quantize", "dequantize",
		"matmulinteger", "convinteger", "fakequant":
		return "quantization", true
	}
	return "", false
}
