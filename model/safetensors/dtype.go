package safetensors

import "github.com/modelpeek/modelpeek/model"

// dtypeInfo is a safetensors dtype: its numpy spelling and width in bits.
type dtypeInfo struct {
	name model.DType
	bits int64
}

// dtypes maps every dtype string the safetensors format defines to the
// numpy-spelled DType of the model IR.
var dtypes = map[string]dtypeInfo{
	"BOOL":    {"bool", 8},
	"U8":      {"uint8", 8},
	"I8":      {"int8", 8},
	"U16":     {"uint16", 16},
	"I16":     {"int16", 16},
	"U32":     {"uint32", 32},
	"I32":     {"int32", 32},
	"U64":     {"uint64", 64},
	"I64":     {"int64", 64},
	"F16":     {"float16", 16},
	"BF16":    {"bfloat16", 16},
	"F32":     {"float32", 32},
	"F64":     {"float64", 64},
	"C64":     {"complex64", 64},
	"F8_E4M3": {"float8_e4m3fn", 8},
	"F8_E5M2": {"float8_e5m2", 8},
	"F8_E8M0": {"float8_e8m0fnu", 8},
	"F6_E2M3": {"float6_e2m3fn", 6},
	"F6_E3M2": {"float6_e3m2fn", 6},
	"F4":      {"float4_e2m1", 4}, // the spelling model.ReadPreview uses
}

// lookupDType returns the IR dtype and bit width of a safetensors dtype.
func lookupDType(s string) (dtypeInfo, bool) {
	d, ok := dtypes[s]
	return d, ok
}
