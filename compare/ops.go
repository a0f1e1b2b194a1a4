package compare

import "strings"

// opAliases maps lower-cased, separator-free op names of different formats
// to one spelling, so an ONNX export and its TFLite conversion pair up.
var opAliases = map[string]string{
	"conv2d": "conv", "depthwiseconv2d": "conv", "convolution": "conv",
	"transposeconv": "convtranspose", "deconvolution": "convtranspose",
	"fullyconnected": "gemm", "matmul": "gemm", "batchmatmul": "gemm", "innerproduct": "gemm", "dense": "gemm", "linear": "gemm",
	"maxpool2d": "maxpool", "averagepool2d": "averagepool", "avgpool": "averagepool",
	"concatenation": "concat", "relu6": "clip", "logistic": "sigmoid",
	"resizebilinear": "resize", "resizenearestneighbor": "resize", "upsample": "resize",
	"addv2": "add", "biasadd": "add", "realdiv": "div", "squareddifference": "sub",
	"convolutional": "conv", "shortcut": "add", "connected": "gemm", "globalaveragepool": "averagepool", "binaryop": "add", "eltwise": "add", "convolutiondepthwise": "conv", "deconvolutiondepthwise": "convtranspose",
	"batchnorm": "batchnormalization", "flatten": "reshape", "squeeze": "reshape", "unsqueeze": "reshape", "padv2": "pad", "stridedslice": "slice", "meanreduce": "reducemean", "mean": "reducemean",
}

// canonicalOp returns the comparable spelling of an op type: lower case,
// without separators or a "CUSTOM:" prefix, with known aliases resolved.
func canonicalOp(op string) string {
	s := strings.ToLower(strings.TrimPrefix(op, "CUSTOM:"))
	s = strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || r == ' ' {
			return -1
		}
		return r
	}, s)
	if a, ok := opAliases[s]; ok {
		return a
	}
	return s
}
