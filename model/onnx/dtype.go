package onnx

import (
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// dtypes maps TensorProto.DataType numbers to numpy spellings.
var dtypes = [...]model.DType{
	1:  "float32",
	2:  "uint8",
	3:  "int8",
	4:  "uint16",
	5:  "int16",
	6:  "int32",
	7:  "int64",
	8:  "string",
	9:  "bool",
	10: "float16",
	11: "float64",
	12: "uint32",
	13: "uint64",
	14: "complex64",
	15: "complex128",
	16: "bfloat16",
	17: "float8_e4m3fn",
	18: "float8_e4m3fnuz",
	19: "float8_e5m2",
	20: "float8_e5m2fnuz",
	21: "uint4",
	22: "int4",
	23: "float4_e2m1",
	24: "float8_e8m0fnu",
	25: "uint2",
	26: "int2",
}

// dtypeOf returns the numpy spelling of an ONNX data type number; "" for
// UNDEFINED and "dtype<N>" for numbers this decoder does not know.
func dtypeOf(v uint64) model.DType {
	if v < uint64(len(dtypes)) {
		return dtypes[v]
	}
	return model.DType("dtype" + strconv.FormatUint(v, 10))
}

// DType is the numpy spelling of an ONNX TensorProto data type number as
// an attribute holds it (Cast's "to"); "" for negative numbers.
func DType(v int64) model.DType {
	if v < 0 {
		return ""
	}
	return dtypeOf(uint64(v))
}
