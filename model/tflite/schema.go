package tflite

import (
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// Field slots (declaration order, unions taking two) of the TFLite schema
// tables this decoder reads.
const (
	// Model
	modelVersion       = 0
	modelOperatorCodes = 1
	modelSubgraphs     = 2
	modelDescription   = 3
	modelBuffers       = 4
	modelMetadata      = 6
	modelSignatureDefs = 7

	// OperatorCode
	opcodeDeprecated = 0
	opcodeCustom     = 1
	opcodeVersion    = 2
	opcodeBuiltin    = 3

	// SubGraph
	subgraphTensors   = 0
	subgraphInputs    = 1
	subgraphOutputs   = 2
	subgraphOperators = 3
	subgraphName      = 4

	// Buffer
	bufferData   = 0
	bufferOffset = 1
	bufferSize   = 2

	// Tensor
	tensorShape          = 0
	tensorType           = 1
	tensorBuffer         = 2
	tensorName           = 3
	tensorQuantization   = 4
	tensorIsVariable     = 5
	tensorSparsity       = 6
	tensorShapeSignature = 7
	tensorHasRank        = 8

	// QuantizationParameters
	quantMin         = 0
	quantMax         = 1
	quantScale       = 2
	quantZeroPoint   = 3
	quantDetailsType = 4
	quantDetails     = 5
	quantDimension   = 6

	// SparsityParameters and DimensionMetadata
	sparsityTraversal = 0
	sparsityBlockMap  = 1
	sparsityDimMeta   = 2
	dimFormat         = 0
	dimDenseSize      = 1

	// Operator
	opOpcodeIndex       = 0
	opInputs            = 1
	opOutputs           = 2
	opBuiltinType       = 3
	opBuiltinOptions    = 4
	opCustomOptions     = 5
	opIntermediates     = 8
	opLargeCustomOffset = 9
	opLargeCustomSize   = 10
	opBuiltin2Type      = 11
	opBuiltin2Options   = 12

	// Metadata, TensorMap, SignatureDef
	metadataName       = 0
	metadataBuffer     = 1
	tensorMapName      = 0
	tensorMapIndex     = 1
	signatureInputs    = 0
	signatureOutputs   = 1
	signatureKey       = 2
	signatureSubgraph  = 4
	builtinCustom      = 32
	builtinPlaceholder = 127
)

// tensorTypes maps the TensorType enum to model dtypes.
var tensorTypes = [...]model.DType{
	"float32", "float16", "int32", "uint8", "int64", "string", "bool", "int16",
	"complex64", "int8", "float64", "complex128", "uint64", "resource", "variant",
	"uint32", "uint16", "int4", "bfloat16", "int2", "uint4", "float8_e4m3fn", "float8_e5m2",
}

// tensorTypeNames are the TensorType enum names, for messages.
var tensorTypeNames = [...]string{
	"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16",
	"COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT",
	"UINT32", "UINT16", "INT4", "BFLOAT16", "INT2", "UINT4", "FLOAT8_E4M3FN", "FLOAT8_E5M2",
}

func dtypeOf(t int8) model.DType {
	if t >= 0 && int(t) < len(tensorTypes) {
		return tensorTypes[t]
	}
	return model.DType("tflite_type_" + strconv.Itoa(int(t)))
}

func tensorTypeName(t int64) string {
	if t >= 0 && int(t) < len(tensorTypeNames) {
		return tensorTypeNames[t]
	}
	return strconv.FormatInt(t, 10)
}

// builtinName returns the BuiltinOperator name of a code.
func builtinName(code int32) string {
	if code >= 0 && int(code) < len(builtinNames) {
		return builtinNames[code]
	}
	return "BUILTIN_" + strconv.Itoa(int(code))
}

// opCategory is the display category of a builtin operator.
func opCategory(op string) string {
	switch op {
	case "CONV_2D", "DEPTHWISE_CONV_2D", "CONV_3D", "CONV_3D_TRANSPOSE", "TRANSPOSE_CONV", "FULLY_CONNECTED",
		"BATCH_MATMUL", "LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM", "RNN",
		"UNIDIRECTIONAL_SEQUENCE_RNN", "BIDIRECTIONAL_SEQUENCE_RNN", "SVDF", "EMBEDDING_LOOKUP",
		"STABLEHLO_CONVOLUTION", "STABLEHLO_DOT_GENERAL":
		return "layer"
	case "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LOGISTIC", "TANH", "SOFTMAX", "LOG_SOFTMAX",
		"ELU", "GELU", "HARD_SWISH", "LEAKY_RELU", "PRELU", "STABLEHLO_LOGISTIC", "STABLEHLO_TANH":
		return "activation"
	case "L2_NORMALIZATION", "LOCAL_RESPONSE_NORMALIZATION":
		return "normalization"
	case "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D", "MEAN", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD",
		"SUM", "REDUCE_ANY", "REDUCE_ALL", "STABLEHLO_REDUCE_WINDOW":
		return "pooling"
	case "RESHAPE", "TRANSPOSE", "CONCATENATION", "SQUEEZE", "EXPAND_DIMS", "PACK", "UNPACK", "SLICE",
		"STRIDED_SLICE", "SPLIT", "SPLIT_V", "GATHER", "GATHER_ND", "TILE", "PAD", "PADV2", "MIRROR_PAD",
		"BROADCAST_TO", "SHAPE", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND",
		"STABLEHLO_RESHAPE", "STABLEHLO_TRANSPOSE", "STABLEHLO_CONCATENATE", "STABLEHLO_SLICE",
		"STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_PAD", "STABLEHLO_GATHER":
		return "shape"
	case "WHILE", "IF", "CALL", "CALL_ONCE", "STABLEHLO_WHILE", "STABLEHLO_CASE", "STABLEHLO_COMPOSITE":
		return "control"
	case "QUANTIZE", "DEQUANTIZE", "FAKE_QUANT":
		return "quantization"
	case "CUSTOM", "DELEGATE":
		return "custom"
	}
	return ""
}
