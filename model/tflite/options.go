package tflite

import (
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// optKind says how to read and show one options field.
type optKind int

const (
	kI32 optKind = iota
	kU32
	kI64
	kF32
	kBool
	kPadding
	kAct
	kTType
	kInts
	kStr
	kSubgraph  // an int32 subgraph index: shown and linked
	kSubgraphs // a vector of subgraph indices
	kEnum
)

// optField is one field of an options table.
type optField struct {
	slot  int
	name  string
	kind  optKind
	def   int64    // default for integer and boolean fields
	enums []string // names for kEnum
}

var (
	conv2D = []optField{{0, "padding", kPadding, 0, nil}, {1, "stride_w", kI32, 0, nil}, {2, "stride_h", kI32, 0, nil},
		{3, "fused_activation_function", kAct, 0, nil}, {4, "dilation_w_factor", kI32, 1, nil}, {5, "dilation_h_factor", kI32, 1, nil},
		{6, "quantized_bias_type", kTType, 0, nil}}
	depthwise = []optField{{0, "padding", kPadding, 0, nil}, {1, "stride_w", kI32, 0, nil}, {2, "stride_h", kI32, 0, nil},
		{3, "depth_multiplier", kI32, 0, nil}, {4, "fused_activation_function", kAct, 0, nil},
		{5, "dilation_w_factor", kI32, 1, nil}, {6, "dilation_h_factor", kI32, 1, nil}}
	conv3D = []optField{{0, "padding", kPadding, 0, nil}, {1, "stride_d", kI32, 0, nil}, {2, "stride_w", kI32, 0, nil},
		{3, "stride_h", kI32, 0, nil}, {4, "fused_activation_function", kAct, 0, nil}, {5, "dilation_d_factor", kI32, 1, nil},
		{6, "dilation_w_factor", kI32, 1, nil}, {7, "dilation_h_factor", kI32, 1, nil}}
	pool2D = []optField{{0, "padding", kPadding, 0, nil}, {1, "stride_w", kI32, 0, nil}, {2, "stride_h", kI32, 0, nil},
		{3, "filter_width", kI32, 0, nil}, {4, "filter_height", kI32, 0, nil}, {5, "fused_activation_function", kAct, 0, nil}}
	fullyConnected = []optField{{0, "fused_activation_function", kAct, 0, nil},
		{1, "weights_format", kEnum, 0, []string{"DEFAULT", "SHUFFLED4x16INT8"}}, {2, "keep_num_dims", kBool, 0, nil},
		{3, "asymmetric_quantize_inputs", kBool, 0, nil}, {4, "quantized_bias_type", kTType, 0, nil}}
	actOnly   = []optField{{0, "fused_activation_function", kAct, 0, nil}}
	addSub    = []optField{{0, "fused_activation_function", kAct, 0, nil}, {1, "pot_scale_int16", kBool, 1, nil}}
	lstm      = []optField{{0, "fused_activation_function", kAct, 0, nil}, {1, "cell_clip", kF32, 0, nil}, {2, "proj_clip", kF32, 0, nil}, {3, "kernel_type", kEnum, 0, []string{"FULL", "BASIC"}}, {4, "asymmetric_quantize_inputs", kBool, 0, nil}}
	uniLSTM   = []optField{{0, "fused_activation_function", kAct, 0, nil}, {1, "cell_clip", kF32, 0, nil}, {2, "proj_clip", kF32, 0, nil}, {3, "time_major", kBool, 0, nil}, {4, "asymmetric_quantize_inputs", kBool, 0, nil}, {5, "diagonal_recurrent_tensors", kBool, 0, nil}}
	biLSTM    = []optField{{0, "fused_activation_function", kAct, 0, nil}, {1, "cell_clip", kF32, 0, nil}, {2, "proj_clip", kF32, 0, nil}, {3, "merge_outputs", kBool, 0, nil}, {4, "time_major", kBool, 1, nil}, {5, "asymmetric_quantize_inputs", kBool, 0, nil}}
	reducer   = []optField{{0, "keep_dims", kBool, 0, nil}}
	splits    = []optField{{0, "num_splits", kI32, 0, nil}}
	blockSize = []optField{{0, "block_size", kI32, 0, nil}}
	argOut    = []optField{{0, "output_type", kTType, 0, nil}}
	resize    = []optField{{2, "align_corners", kBool, 0, nil}, {3, "half_pixel_centers", kBool, 0, nil}}
)

// builtinOptions lists, per builtin operator, the fields of its options
// table shown as node attributes.
var builtinOptions = map[string][]optField{
	"CONV_2D":                      conv2D,
	"DEPTHWISE_CONV_2D":            depthwise,
	"CONV_3D":                      conv3D,
	"CONV_3D_TRANSPOSE":            conv3D,
	"AVERAGE_POOL_2D":              pool2D,
	"MAX_POOL_2D":                  pool2D,
	"L2_POOL_2D":                   pool2D,
	"FULLY_CONNECTED":              fullyConnected,
	"SOFTMAX":                      {{0, "beta", kF32, 0, nil}},
	"CONCATENATION":                {{0, "axis", kI32, 0, nil}, {1, "fused_activation_function", kAct, 0, nil}},
	"ADD":                          addSub,
	"SUB":                          addSub,
	"MUL":                          actOnly,
	"DIV":                          actOnly,
	"L2_NORMALIZATION":             actOnly,
	"LOCAL_RESPONSE_NORMALIZATION": {{0, "radius", kI32, 0, nil}, {1, "bias", kF32, 0, nil}, {2, "alpha", kF32, 0, nil}, {3, "beta", kF32, 0, nil}},
	"LSTM":                         lstm,
	"UNIDIRECTIONAL_SEQUENCE_LSTM": uniLSTM,
	"BIDIRECTIONAL_SEQUENCE_LSTM":  biLSTM,
	"SVDF":                         {{0, "rank", kI32, 0, nil}, {1, "fused_activation_function", kAct, 0, nil}, {2, "asymmetric_quantize_inputs", kBool, 0, nil}},
	"RNN":                          {{0, "fused_activation_function", kAct, 0, nil}, {1, "asymmetric_quantize_inputs", kBool, 0, nil}},
	"UNIDIRECTIONAL_SEQUENCE_RNN":  {{0, "time_major", kBool, 0, nil}, {1, "fused_activation_function", kAct, 0, nil}, {2, "asymmetric_quantize_inputs", kBool, 0, nil}},
	"RESIZE_BILINEAR":              resize,
	"RESIZE_NEAREST_NEIGHBOR":      {{0, "align_corners", kBool, 0, nil}, {1, "half_pixel_centers", kBool, 0, nil}},
	"CALL":                         {{0, "subgraph", kSubgraph, 0, nil}},
	"RESHAPE":                      {{0, "new_shape", kInts, 0, nil}},
	"SPACE_TO_DEPTH":               blockSize,
	"DEPTH_TO_SPACE":               blockSize,
	"GATHER":                       {{0, "axis", kI32, 0, nil}, {1, "batch_dims", kI32, 0, nil}},
	"MEAN":                         reducer,
	"SUM":                          reducer,
	"REDUCE_MAX":                   reducer,
	"REDUCE_MIN":                   reducer,
	"REDUCE_PROD":                  reducer,
	"REDUCE_ANY":                   reducer,
	"REDUCE_ALL":                   reducer,
	"SQUEEZE":                      {{0, "squeeze_dims", kInts, 0, nil}},
	"SPLIT":                        splits,
	"SPLIT_V":                      splits,
	"STRIDED_SLICE": {{0, "begin_mask", kI32, 0, nil}, {1, "end_mask", kI32, 0, nil}, {2, "ellipsis_mask", kI32, 0, nil},
		{3, "new_axis_mask", kI32, 0, nil}, {4, "shrink_axis_mask", kI32, 0, nil}, {5, "offset", kBool, 0, nil}},
	"CAST":                   {{0, "in_data_type", kTType, 0, nil}, {1, "out_data_type", kTType, 0, nil}},
	"ARG_MAX":                argOut,
	"ARG_MIN":                argOut,
	"TRANSPOSE_CONV":         {{0, "padding", kPadding, 0, nil}, {1, "stride_w", kI32, 0, nil}, {2, "stride_h", kI32, 0, nil}, {3, "fused_activation_function", kAct, 0, nil}, {4, "quantized_bias_type", kTType, 0, nil}},
	"SHAPE":                  {{0, "out_type", kTType, 0, nil}},
	"FAKE_QUANT":             {{0, "min", kF32, 0, nil}, {1, "max", kF32, 0, nil}, {2, "num_bits", kI32, 0, nil}, {3, "narrow_range", kBool, 0, nil}},
	"PACK":                   {{0, "values_count", kI32, 0, nil}, {1, "axis", kI32, 0, nil}},
	"UNPACK":                 {{0, "num", kI32, 0, nil}, {1, "axis", kI32, 0, nil}},
	"ONE_HOT":                {{0, "axis", kI32, 0, nil}},
	"LEAKY_RELU":             {{0, "alpha", kF32, 0, nil}},
	"MIRROR_PAD":             {{0, "mode", kEnum, 0, []string{"REFLECT", "SYMMETRIC"}}},
	"UNIQUE":                 {{0, "idx_out_type", kTType, 2, nil}},
	"IF":                     {{0, "then_subgraph_index", kSubgraph, 0, nil}, {1, "else_subgraph_index", kSubgraph, 0, nil}},
	"WHILE":                  {{0, "cond_subgraph_index", kSubgraph, 0, nil}, {1, "body_subgraph_index", kSubgraph, 0, nil}},
	"CALL_ONCE":              {{0, "init_subgraph_index", kSubgraph, 0, nil}},
	"BATCH_MATMUL":           {{0, "adj_x", kBool, 0, nil}, {1, "adj_y", kBool, 0, nil}, {2, "asymmetric_quantize_inputs", kBool, 0, nil}},
	"CUMSUM":                 {{0, "exclusive", kBool, 0, nil}, {1, "reverse", kBool, 0, nil}},
	"VAR_HANDLE":             {{0, "container", kStr, 0, nil}, {1, "shared_name", kStr, 0, nil}},
	"GELU":                   {{0, "approximate", kBool, 0, nil}},
	"REVERSE_SEQUENCE":       {{0, "seq_dim", kI32, 0, nil}, {1, "batch_dim", kI32, 0, nil}},
	"HASHTABLE":              {{0, "table_id", kI32, 0, nil}, {1, "key_dtype", kTType, 0, nil}, {2, "value_dtype", kTType, 0, nil}},
	"RANDOM_UNIFORM":         {{0, "seed", kI64, 0, nil}, {1, "seed2", kI64, 0, nil}},
	"RANDOM_STANDARD_NORMAL": {{0, "seed", kI64, 0, nil}, {1, "seed2", kI64, 0, nil}},
}

// builtinOptions2 lists the fields of the second options union (StableHLO
// operators) shown as attributes.
var builtinOptions2 = map[string][]optField{
	"STABLEHLO_COMPOSITE":     {{0, "name", kStr, 0, nil}, {1, "decomposition_subgraph_index", kSubgraph, 0, nil}, {4, "version", kI32, 0, nil}},
	"STABLEHLO_WHILE":         {{0, "cond_subgraph_index", kSubgraph, 0, nil}, {1, "body_subgraph_index", kSubgraph, 0, nil}},
	"STABLEHLO_REDUCE":        {{1, "body_subgraph_index", kSubgraph, 0, nil}},
	"STABLEHLO_REDUCE_WINDOW": {{5, "body_subgraph_index", kSubgraph, 0, nil}},
	"STABLEHLO_SORT":          {{0, "dimension", kI64, 0, nil}, {1, "is_stable", kBool, 0, nil}, {2, "comparator_subgraph_index", kSubgraph, 0, nil}},
	"STABLEHLO_SCATTER":       {{6, "update_computation_subgraph_index", kSubgraph, 0, nil}},
	"STABLEHLO_CASE":          {{0, "branch_subgraph_indices", kSubgraphs, 0, nil}},
	"STABLEHLO_CUSTOM_CALL":   {{0, "call_target_name", kStr, 0, nil}, {4, "called_computations", kSubgraphs, 0, nil}},
}

var (
	paddingNames = []string{"SAME", "VALID"}
	actNames     = []string{"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"}
)

// subgraphRef is a subgraph an operator refers to through its options.
type subgraphRef struct {
	attr  string // the link attribute name ("body")
	index int64
}

// maxAttrInts bounds the integers kept from one options vector.
const maxAttrInts = 1024

// options decodes an options table into attributes and the subgraphs it
// refers to.
func options(f *flatbuf.Reader, t flatbuf.Table, fields []optField) ([]model.Attribute, []subgraphRef) {
	var attrs []model.Attribute
	var refs []subgraphRef
	for _, fd := range fields {
		a := model.Attribute{Name: fd.name}
		switch fd.kind {
		case kI32:
			a.Type, a.Int = model.AttrInt, int64(f.Int32(t, fd.slot, int32(fd.def)))
		case kU32:
			a.Type, a.Int = model.AttrInt, int64(f.Uint32(t, fd.slot, uint32(fd.def)))
		case kI64:
			a.Type, a.Int = model.AttrInt, f.Int64(t, fd.slot)
		case kF32:
			a.Type, a.Float = model.AttrFloat, float64(f.Float32(t, fd.slot, 0))
		case kBool:
			a.Type, a.Int = model.AttrBool, int64(f.Uint8(t, fd.slot, uint8(fd.def)))
		case kPadding:
			a.Type, a.String = model.AttrString, enumName(paddingNames, int64(f.Uint8(t, fd.slot, 0)))
		case kAct:
			a.Type, a.String = model.AttrString, enumName(actNames, int64(int8(f.Uint8(t, fd.slot, 0))))
		case kEnum:
			a.Type, a.String = model.AttrString, enumName(fd.enums, int64(f.Uint8(t, fd.slot, uint8(fd.def))))
		case kTType:
			a.Type, a.String = model.AttrString, tensorTypeName(int64(int8(f.Uint8(t, fd.slot, uint8(fd.def)))))
		case kStr:
			a.Type, a.String = model.AttrString, f.Str(t, fd.slot)
		case kInts, kSubgraphs:
			v, n, ok := f.Int32s(t, fd.slot, maxAttrInts)
			if !ok {
				continue
			}
			a.Type, a.Ints = model.AttrInts, v
			if int64(len(v)) < n {
				a.Truncated, a.Count = true, n
			}
			if fd.kind == kSubgraphs {
				base := strings.TrimSuffix(strings.TrimSuffix(fd.name, "_indices"), "_subgraph")
				for _, i := range v {
					refs = append(refs, subgraphRef{attr: base, index: i})
				}
			}
		case kSubgraph:
			i := int64(f.Int32(t, fd.slot, 0))
			a.Type, a.Int = model.AttrInt, i
			refs = append(refs, subgraphRef{attr: strings.TrimSuffix(strings.TrimSuffix(fd.name, "_index"), "_subgraph"), index: i})
		}
		attrs = append(attrs, a)
	}
	return attrs, refs
}

func enumName(names []string, v int64) string {
	if v >= 0 && v < int64(len(names)) {
		return names[v]
	}
	return "UNKNOWN_" + strings.TrimPrefix(tensorTypeName(v), "")
}
