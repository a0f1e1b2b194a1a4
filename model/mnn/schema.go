package mnn

// Field slots of MNN schema/default/*.fbs (alibaba/MNN); a union field
// takes two slots, its type byte first.
const (
	netBizCode        = 0
	netExtraDescribe  = 1
	netExtraInfo      = 2
	netOplists        = 3
	netOutputName     = 4
	netPreferForward  = 5
	netSourceType     = 6
	netTensorName     = 7
	netTensorNumber   = 8
	netUsage          = 9
	netSubgraphs      = 10
	netUUID           = 11
	opInputIndexes    = 0
	opMainType        = 1
	opMain            = 2
	opName            = 3
	opOutputIndexes   = 4
	opType            = 5
	opExternalPath    = 7
	subgraphName      = 0
	subgraphInputs    = 1
	subgraphOutputs   = 2
	subgraphTensors   = 3
	subgraphNodes     = 4
	blobDims          = 0
	blobDataFormat    = 1
	blobDataType      = 2
	blobUint8s        = 3
	blobInt8s         = 4
	blobInt32s        = 5
	blobInt64s        = 6
	blobFloat32s      = 7
	blobStrings       = 8
	blobExternal      = 9
	inputDims         = 0
	inputDType        = 1
	inputFormat       = 2
	convCommon        = 0
	convWeight        = 1
	convBias          = 2
	convQuan          = 3
	convExternal      = 6
	quanBuffer        = 0
	whileCond         = 0
	whileBody         = 1
	ifThen            = 0
	ifElse            = 1
	dtFloat           = 1
	opTypeConst       = 11
	opTypeInput       = 34
	opTypeTrainable   = 266
	paramNone         = 0
	defaultInputDType = dtFloat
)

// OpParameter union members used by the decoder.
const (
	paramBlob          = 7
	paramConvolution2D = 9
	paramInput         = 21
	paramWhile         = 85
	paramIf            = 86
)

// dtypes maps DataType to numpy-style dtypes.
var dtypes = map[int32]string{
	1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
	7: "string", 8: "complex64", 9: "int64", 10: "bool", 11: "qint8",
	12: "quint8", 13: "qint32", 14: "bfloat16", 15: "qint16", 16: "quint16",
	17: "uint16", 18: "complex128", 19: "float16",
}

func dtypeOf(t int32) string {
	if d, ok := dtypes[t]; ok {
		return d
	}
	if n, ok := dataTypeNames[t]; ok {
		return n
	}
	return "unknown"
}
