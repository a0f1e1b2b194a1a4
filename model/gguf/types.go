package gguf

import "fmt"

// GGMLType is a ggml tensor element type as stored in GGUF tensor infos.
type GGMLType uint32

// typeInfo describes one ggml type: its lower-case name, how many elements
// one block holds, and how many bytes one block takes.
type typeInfo struct {
	name      string
	blockSize int64
	typeSize  int64
}

// ggmlTypes lists every ggml type id a GGUF file may carry, with the block
// geometry needed to compute a tensor's byte length. Ids 4 and 5 were
// removed from ggml long ago and are unknown here.
var ggmlTypes = map[GGMLType]typeInfo{
	0:  {"f32", 1, 4},
	1:  {"f16", 1, 2},
	2:  {"q4_0", 32, 18},
	3:  {"q4_1", 32, 20},
	6:  {"q5_0", 32, 22},
	7:  {"q5_1", 32, 24},
	8:  {"q8_0", 32, 34},
	9:  {"q8_1", 32, 36},
	10: {"q2_k", 256, 84},
	11: {"q3_k", 256, 110},
	12: {"q4_k", 256, 144},
	13: {"q5_k", 256, 176},
	14: {"q6_k", 256, 210},
	15: {"q8_k", 256, 292},
	16: {"iq2_xxs", 256, 66},
	17: {"iq2_xs", 256, 74},
	18: {"iq3_xxs", 256, 98},
	19: {"iq1_s", 256, 50},
	20: {"iq4_nl", 32, 18},
	21: {"iq3_s", 256, 110},
	22: {"iq2_s", 256, 82},
	23: {"iq4_xs", 256, 136},
	24: {"i8", 1, 1},
	25: {"i16", 1, 2},
	26: {"i32", 1, 4},
	27: {"i64", 1, 8},
	28: {"f64", 1, 8},
	29: {"iq1_m", 256, 56},
	30: {"bf16", 1, 2},
	31: {"q4_0_4_4", 32, 18},
	32: {"q4_0_4_8", 32, 18},
	33: {"q4_0_8_8", 32, 18},
	34: {"tq1_0", 256, 54},
	35: {"tq2_0", 256, 66},
	36: {"iq4_nl_4_4", 32, 18},
	37: {"iq4_nl_4_8", 32, 18},
	38: {"iq4_nl_8_8", 32, 18},
	39: {"mxfp4", 32, 17},
	40: {"nvfp4", 64, 36},
	41: {"q1_0", 128, 18},
}

// plainDTypes maps the ggml types that are plain fixed-width numbers to
// their numpy spelling; every other type keeps its ggml name.
var plainDTypes = map[GGMLType]string{
	0: "float32", 1: "float16", 30: "bfloat16", 28: "float64",
	24: "int8", 25: "int16", 26: "int32", 27: "int64",
}

// Name returns the lower-case ggml name of t ("q4_k"), or "type(N)".
func (t GGMLType) Name() string {
	if ti, ok := ggmlTypes[t]; ok {
		return ti.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// DType returns the model DType of t: numpy spelling for plain numbers
// ("float32", "bfloat16", "int8"), the ggml name otherwise ("q4_k").
func (t GGMLType) DType() string {
	if s, ok := plainDTypes[t]; ok {
		return s
	}
	return t.Name()
}

// Known reports whether t is a ggml type this package knows.
func (t GGMLType) Known() bool {
	_, ok := ggmlTypes[t]
	return ok
}

// Quantized reports whether t is block-quantised (more than one element
// per block, or a packed sub-byte layout).
func (t GGMLType) Quantized() bool {
	_, plain := plainDTypes[t]
	return t.Known() && !plain
}

// byteSize returns the number of bytes a tensor of n elements whose first
// dimension is ne0 takes, or an error when ne0 is not a whole number of
// blocks or the size overflows.
func (t GGMLType) byteSize(ne0, n int64) (int64, error) {
	ti, ok := ggmlTypes[t]
	if !ok {
		return 0, fmt.Errorf("unknown ggml tensor type %d", uint32(t))
	}
	if ne0%ti.blockSize != 0 {
		return 0, fmt.Errorf("row length %d is not a multiple of the %s block size %d", ne0, ti.name, ti.blockSize)
	}
	blocks := n / ti.blockSize
	if blocks > (1<<63-1)/ti.typeSize {
		return 0, fmt.Errorf("byte size of %d %s elements overflows", n, ti.name)
	}
	return blocks * ti.typeSize, nil
}
