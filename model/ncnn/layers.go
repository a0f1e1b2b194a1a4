package ncnn

import "strconv"

// builtinLayers is ncnn's built-in layer list in `ncnn_add_layer` order
// of src/CMakeLists.txt: a binary .param stores a layer's type as its
// index here.
var builtinLayers = [...]string{
	"AbsVal", "ArgMax", "BatchNorm", "Bias", "BNLL", "Concat", "Convolution", "Crop",
	"Deconvolution", "Dropout", "Eltwise", "ELU", "Embed", "Exp", "Flatten", "InnerProduct",
	"Input", "Log", "LRN", "MemoryData", "MVN", "Pooling", "Power", "PReLU",
	"Proposal", "Reduction", "ReLU", "Reshape", "ROIPooling", "Scale", "Sigmoid", "Slice",
	"Softmax", "Split", "SPP", "TanH", "Threshold", "Tile", "RNN", "LSTM",
	"BinaryOp", "UnaryOp", "ConvolutionDepthWise", "Padding", "Squeeze", "ExpandDims", "Normalize", "Permute",
	"PriorBox", "DetectionOutput", "Interp", "DeconvolutionDepthWise", "ShuffleChannel", "InstanceNorm", "Clip", "Reorg",
	"YoloDetectionOutput", "Quantize", "Dequantize", "Yolov3DetectionOutput", "PSROIPooling", "ROIAlign", "Packing", "Requantize",
	"Cast", "HardSigmoid", "SELU", "HardSwish", "Noop", "PixelShuffle", "DeepCopy", "Mish",
	"StatisticsPooling", "Swish", "Gemm", "GroupNorm", "LayerNorm", "Softplus", "GRU", "MultiHeadAttention",
	"GELU", "Convolution1D", "Pooling1D", "ConvolutionDepthWise1D", "Convolution3D", "ConvolutionDepthWise3D", "Pooling3D", "MatMul",
	"Deconvolution1D", "DeconvolutionDepthWise1D", "Deconvolution3D", "DeconvolutionDepthWise3D", "Einsum", "DeformableConv2D", "GLU", "Fold",
	"Unfold", "GridSample", "CumulativeSum", "CopyTo", "Erf", "Diag", "CELU", "Shrink",
	"RMSNorm", "Spectrogram", "InverseSpectrogram", "Flip", "SDPA", "RotaryEmbed",
}

// customBit marks a custom layer's type index in a binary .param
// (LayerType::CustomBit).
const customBit = 1 << 8

// layerTypeName names a binary .param type index.
func layerTypeName(index int32) string {
	if index >= 0 && int(index) < len(builtinLayers) {
		return builtinLayers[index]
	}
	if index&customBit != 0 && index > 0 {
		return "Custom" + strconv.Itoa(int(index&^customBit))
	}
	return "Layer" + strconv.Itoa(int(index))
}

// convParams names the parameters shared by the convolution layers.
var convParams = map[int]string{
	0: "num_output", 1: "kernel_w", 2: "dilation_w", 3: "stride_w", 4: "pad_left", 5: "bias_term",
	6: "weight_data_size", 7: "group", 8: "int8_scale_term", 9: "activation_type", 10: "activation_params",
	11: "kernel_h", 12: "dilation_h", 13: "stride_h", 14: "pad_top", 15: "pad_right", 16: "pad_bottom",
	18: "pad_value", 19: "dynamic_weight",
}

// paramNames gives the meaning of parameter ids for common layers (from
// each layer's load_param in ncnn src/layer/).
var paramNames = map[string]map[int]string{
	"Convolution":          convParams,
	"ConvolutionDepthWise": convParams,
	"Deconvolution": {0: "num_output", 1: "kernel_w", 2: "dilation_w", 3: "stride_w", 4: "pad_left", 5: "bias_term",
		6: "weight_data_size", 7: "group", 9: "activation_type", 10: "activation_params", 11: "kernel_h", 12: "dilation_h",
		13: "stride_h", 14: "pad_top", 15: "pad_right", 16: "pad_bottom", 18: "output_pad_right", 19: "output_pad_bottom",
		20: "output_w", 21: "output_h"},
	"InnerProduct": {0: "num_output", 1: "bias_term", 2: "weight_data_size", 8: "int8_scale_term", 9: "activation_type", 10: "activation_params"},
	"Input":        {0: "w", 1: "h", 11: "d", 2: "c"},
	"MemoryData":   {0: "w", 1: "h", 11: "d", 2: "c", 21: "load_type"},
	"Pooling": {0: "pooling_type", 1: "kernel_w", 11: "kernel_h", 2: "stride_w", 12: "stride_h", 3: "pad_left",
		13: "pad_top", 14: "pad_right", 15: "pad_bottom", 4: "global_pooling", 5: "pad_mode",
		6: "avgpool_count_include_pad", 7: "adaptive_pooling", 8: "out_w", 18: "out_h"},
	"BatchNorm":      {0: "channels", 1: "eps"},
	"Scale":          {0: "scale_data_size", 1: "bias_term"},
	"Bias":           {0: "bias_data_size"},
	"PReLU":          {0: "num_slope"},
	"ReLU":           {0: "slope"},
	"Clip":           {0: "min", 1: "max"},
	"Concat":         {0: "axis"},
	"Slice":          {0: "slices", 1: "axis"},
	"Softmax":        {0: "axis", 1: "fixbug0"},
	"Eltwise":        {0: "op_type", 1: "coeffs"},
	"Reshape":        {0: "w", 1: "h", 11: "d", 2: "c", 3: "permute"},
	"Permute":        {0: "order_type"},
	"Interp":         {0: "resize_type", 1: "height_scale", 2: "width_scale", 3: "output_height", 4: "output_width", 5: "dynamic_target_size", 6: "align_corner"},
	"BinaryOp":       {0: "op_type", 1: "with_scalar", 2: "b"},
	"UnaryOp":        {0: "op_type"},
	"Padding":        {0: "top", 1: "bottom", 2: "left", 3: "right", 4: "type", 5: "value", 6: "per_channel_pad_data_size", 7: "front", 8: "behind"},
	"Crop":           {0: "woffset", 1: "hoffset", 2: "coffset", 3: "outw", 4: "outh", 5: "outc", 9: "starts", 10: "ends", 11: "axes"},
	"Dropout":        {0: "scale"},
	"ShuffleChannel": {0: "group", 1: "reverse"},
	"Gemm": {0: "alpha", 1: "beta", 2: "transA", 3: "transB", 4: "constantA", 5: "constantB", 6: "constantC",
		7: "constantM", 8: "constantN", 9: "constantK", 10: "constant_broadcast_type_C", 11: "output_N1M",
		12: "output_elempack", 13: "output_elemtype", 14: "output_transpose", 18: "quantize_term"},
	"LayerNorm":    {0: "affine_size", 1: "eps", 2: "affine"},
	"RMSNorm":      {0: "affine_size", 1: "eps", 2: "affine"},
	"InstanceNorm": {0: "channels", 1: "eps", 2: "affine"},
	"GroupNorm":    {0: "group", 1: "channels", 2: "eps", 3: "affine"},
	"Normalize":    {0: "across_spatial", 1: "channel_shared", 2: "eps", 3: "scale_data_size", 4: "across_channel", 9: "eps_mode"},
	"Embed":        {0: "num_output", 1: "input_dim", 2: "bias_term", 3: "weight_data_size", 18: "int8_scale_term"},
	"HardSigmoid":  {0: "alpha", 1: "beta"},
	"ELU":          {0: "alpha"},
	"Flatten":      {},
}

// floatParams lists parameter ids whose binary value is a float32 (a
// binary .param stores 4 raw bytes and the layer decides the type).
var floatParams = map[string]map[int]bool{
	"BatchNorm":    {1: true},
	"ReLU":         {0: true},
	"Clip":         {0: true, 1: true},
	"Interp":       {1: true, 2: true},
	"Dropout":      {0: true},
	"Padding":      {5: true},
	"Gemm":         {0: true, 1: true},
	"LayerNorm":    {1: true},
	"RMSNorm":      {1: true},
	"InstanceNorm": {1: true},
	"GroupNorm":    {2: true},
	"Normalize":    {2: true},
	"HardSigmoid":  {0: true, 1: true},
	"ELU":          {0: true},
	"Eltwise":      {1: true},
	"Convolution":  {18: true},
}

// paramName returns the name of parameter id for a layer type, or the id.
func paramName(layerType string, id int) string {
	if n, ok := paramNames[layerType][id]; ok {
		return n
	}
	return strconv.Itoa(id)
}

// categories are display hints for common layer types.
var categories = map[string]string{
	"Convolution": "layer", "ConvolutionDepthWise": "layer", "Deconvolution": "layer", "DeconvolutionDepthWise": "layer",
	"InnerProduct": "layer", "Gemm": "layer", "MatMul": "layer", "Embed": "layer", "MultiHeadAttention": "layer", "SDPA": "layer",
	"ReLU": "activation", "Sigmoid": "activation", "TanH": "activation", "Swish": "activation", "HardSwish": "activation",
	"HardSigmoid": "activation", "Mish": "activation", "GELU": "activation", "ELU": "activation", "SELU": "activation",
	"Clip": "activation", "PReLU": "activation", "Softmax": "activation",
	"BatchNorm": "normalization", "LayerNorm": "normalization", "RMSNorm": "normalization", "InstanceNorm": "normalization",
	"GroupNorm": "normalization", "Normalize": "normalization", "LRN": "normalization", "MVN": "normalization",
	"Pooling": "pooling", "Pooling1D": "pooling", "Pooling3D": "pooling",
	"Reshape": "shape", "Permute": "shape", "Flatten": "shape", "Squeeze": "shape", "ExpandDims": "shape",
	"Concat": "tensor", "Slice": "tensor", "Split": "tensor", "Crop": "tensor", "Padding": "tensor", "Tile": "tensor",
	"Input": "input", "Dropout": "dropout",
	"Quantize": "quantization", "Dequantize": "quantization", "Requantize": "quantization",
}
