package ncnn

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/modelpeek/modelpeek/model"
)

// mat is one weight array a layer's load_model reads from the .bin.
type mat struct {
	suffix string
	count  int64
	// tagged is true for ModelBin::load type 0 (a 4-byte storage tag
	// precedes the data), false for type 1 (raw float32).
	tagged bool
	shape  []int64
}

// noWeights are layers whose load_model reads nothing.
var noWeights = map[string]bool{}

func init() {
	for _, t := range []string{"AbsVal", "ArgMax", "BNLL", "Concat", "Crop", "Dropout", "Eltwise", "ELU", "Exp",
		"Flatten", "Input", "Log", "LRN", "MVN", "Pooling", "Power", "Proposal", "Reduction", "ReLU", "Reshape",
		"ROIPooling", "Sigmoid", "Slice", "Softmax", "Split", "SPP", "TanH", "Threshold", "Tile", "BinaryOp",
		"UnaryOp", "Squeeze", "ExpandDims", "Permute", "PriorBox", "DetectionOutput", "Interp", "ShuffleChannel",
		"Clip", "Reorg", "YoloDetectionOutput", "Yolov3DetectionOutput", "PSROIPooling", "ROIAlign", "Packing",
		"Cast", "HardSigmoid", "SELU", "HardSwish", "Noop", "PixelShuffle", "DeepCopy", "Mish", "StatisticsPooling",
		"Swish", "Softplus", "GELU", "Pooling1D", "Pooling3D", "MatMul", "Einsum", "GLU", "Fold", "Unfold",
		"GridSample", "CumulativeSum", "CopyTo", "Erf", "Diag", "CELU", "Shrink", "Flip", "SDPA", "RotaryEmbed"} {
		noWeights[t] = true
	}
}

// planWeights lists the arrays a layer reads from the .bin, in order;
// ok is false when the layout is not known here (later offsets are then
// unknown too).
func planWeights(l *layer) (mats []mat, ok bool) {
	if noWeights[l.typ] {
		return nil, true
	}
	switch l.typ {
	case "Convolution", "ConvolutionDepthWise", "Deconvolution", "DeconvolutionDepthWise":
		return planConv(l)
	case "InnerProduct":
		return planFC(l, 0, 1, 2, 8)
	case "Embed":
		return planFC(l, 0, 2, 3, 18)
	case "BatchNorm":
		c := l.get(0, 0)
		return []mat{{"slope", c, false, nil}, {"mean", c, false, nil}, {"var", c, false, nil}, {"bias", c, false, nil}}, true
	case "Scale":
		n := l.get(0, 0)
		if n == -233 {
			return nil, true
		}
		ms := []mat{{"scale", n, false, nil}}
		if l.get(1, 0) != 0 {
			ms = append(ms, mat{"bias", n, false, nil})
		}
		return ms, true
	case "PReLU":
		return []mat{{"slope", l.get(0, 0), false, nil}}, true
	case "Bias":
		return []mat{{"bias", l.get(0, 0), false, nil}}, true
	case "Normalize":
		return []mat{{"scale", l.get(3, 0), false, nil}}, true
	case "MemoryData":
		return planMemoryData(l)
	case "LayerNorm", "RMSNorm", "InstanceNorm", "GroupNorm":
		return planNorm(l)
	case "Gemm":
		return planGemm(l)
	}
	return nil, false
}

// planConv plans the convolution family: weights (tagged), bias.
func planConv(l *layer) ([]mat, bool) {
	dynamicID := 19
	if l.typ == "Deconvolution" || l.typ == "DeconvolutionDepthWise" {
		dynamicID = 28
	}
	if l.get(dynamicID, 0) != 0 {
		return nil, true
	}
	out, size := l.get(0, 0), l.get(6, 0)
	kw := l.get(1, 0)
	kh := l.get(11, kw)
	shape := []int64{size}
	if out > 0 && kw > 0 && kh > 0 && size%(out*kw*kh) == 0 {
		shape = []int64{out, size / (out * kw * kh), kh, kw}
	}
	ms := []mat{{"weight", size, true, shape}}
	if l.get(5, 0) != 0 {
		ms = append(ms, mat{"bias", out, false, nil})
	}
	if l.typ == "Convolution" || l.typ == "ConvolutionDepthWise" {
		return convInt8Scales(l, ms)
	}
	return ms, true
}

// convInt8Scales appends the int8 scales a quantised convolution stores
// after its weights (int8_scale_term, parameter 8).
func convInt8Scales(l *layer, ms []mat) ([]mat, bool) {
	term := l.get(8, 0)
	if term == 0 {
		return ms, true
	}
	n := l.get(0, 0)
	if l.typ == "ConvolutionDepthWise" {
		switch term {
		case 1, 101:
			n = l.get(7, 1)
		case 2, 102:
			n = 1
		default:
			return nil, false
		}
	}
	ms = append(ms, mat{"weight_int8_scales", n, false, nil}, mat{"bottom_int8_scales", 1, false, nil})
	if term > 100 {
		ms = append(ms, mat{"top_int8_scales", 1, false, nil})
	}
	return ms, true
}

// planFC plans InnerProduct and Embed: weights (tagged), bias.
func planFC(l *layer, outID, biasID, sizeID, int8ID int) ([]mat, bool) {
	int8Term := l.get(int8ID, 0)
	if int8Term != 0 && l.typ != "InnerProduct" {
		return nil, false
	}
	out, size := l.get(outID, 0), l.get(sizeID, 0)
	shape := []int64{size}
	if out > 0 && size%out == 0 {
		shape = []int64{out, size / out}
	}
	ms := []mat{{"weight", size, true, shape}}
	if l.get(biasID, 0) != 0 {
		ms = append(ms, mat{"bias", out, false, nil})
	}
	if int8Term != 0 {
		ms = append(ms, mat{"weight_int8_scales", out, false, nil}, mat{"bottom_int8_scales", 1, false, nil})
	}
	return ms, true
}

// planMemoryData plans a MemoryData blob (raw float32 by default).
func planMemoryData(l *layer) ([]mat, bool) {
	if l.get(21, 1) != 1 {
		return nil, false
	}
	shape := []int64{}
	for _, id := range []int{2, 11, 1, 0} {
		if v := l.get(id, 0); v > 0 {
			shape = append(shape, v)
		}
	}
	n, ok := model.NumElements(shape)
	if !ok {
		return nil, false
	}
	return []mat{{"data", n, false, shape}}, true
}

// planNorm plans the affine normalisation layers.
func planNorm(l *layer) ([]mat, bool) {
	sizeID, affineID := 0, 2
	if l.typ == "GroupNorm" {
		sizeID, affineID = 1, 3
	}
	if l.get(affineID, 1) == 0 {
		return nil, true
	}
	n := l.get(sizeID, 0)
	if l.typ == "RMSNorm" {
		return []mat{{"gamma", n, false, nil}}, true
	}
	return []mat{{"gamma", n, false, nil}, {"beta", n, false, nil}}, true
}

// planGemm plans Gemm constants A, B, C (float or tagged storage).
func planGemm(l *layer) ([]mat, bool) {
	if l.get(18, 0) != 0 {
		return nil, false
	}
	m, n, k := l.get(7, 0), l.get(8, 0), l.get(9, 0)
	var ms []mat
	if l.get(4, 0) == 1 {
		ms = append(ms, mat{"A", m * k, true, []int64{m, k}})
	}
	if l.get(5, 0) == 1 {
		ms = append(ms, mat{"B", n * k, true, []int64{n, k}})
	}
	if l.get(6, 0) == 1 {
		switch l.get(10, 0) {
		case -1:
		case 0:
			ms = append(ms, mat{"C", 1, true, []int64{1}})
		case 1, 2:
			ms = append(ms, mat{"C", m, true, []int64{m}})
		case 3:
			ms = append(ms, mat{"C", m * n, true, []int64{m, n}})
		case 4:
			ms = append(ms, mat{"C", n, true, []int64{n}})
		default:
			return nil, false
		}
	}
	return ms, true
}

// Storage tags of ModelBin::load type 0.
const (
	tagFloat16 = 0x01306B47
	tagInt8    = 0x000D4B38
	tagFloat32 = 0x0002C056
)

// locator walks a .bin file, placing each array.
type locator struct {
	f    io.ReaderAt
	path string
	size int64
	off  int64
}

// place locates one array at the current offset and advances past it.
func (lc *locator) place(name string, m mat) (*model.Tensor, error) {
	if m.count < 0 || m.count > lc.size {
		return nil, fmt.Errorf("%s: %d elements do not fit the weights file", name, m.count)
	}
	t := &model.Tensor{Name: name, DType: "float32", Shape: m.shape}
	if t.Shape == nil {
		t.Shape = []int64{m.count}
	}
	dataOff, length, enc := lc.off, m.count*4, model.EncRaw
	if m.tagged {
		var tag [4]byte
		if _, err := lc.f.ReadAt(tag[:], lc.off); err != nil {
			return nil, fmt.Errorf("%s: the weights file ends before its storage tag", name)
		}
		dataOff += 4
		length, enc = taggedLayout(t, binary.LittleEndian.Uint32(tag[:]), m.count)
	}
	if t.Quant != nil {
		dataOff += 1024 // the code book precedes the indexes
	}
	next := dataOff + length
	if next > lc.size {
		return nil, fmt.Errorf("%s: the weights file ends inside this array", name)
	}
	t.Location = &model.Location{File: lc.path, Offset: dataOff, Length: length, Encoding: enc}
	lc.off = next
	return t, nil
}

// taggedLayout sets a tagged array's dtype and returns its byte length
// (padded to 4) and encoding.
func taggedLayout(t *model.Tensor, tag uint32, n int64) (int64, model.Encoding) {
	switch {
	case tag == tagFloat16:
		t.DType = "float16"
		return (n*2 + 3) / 4 * 4, model.EncRaw
	case tag == tagInt8:
		t.DType = "int8"
		return (n + 3) / 4 * 4, model.EncRaw
	case tag == tagFloat32, tag == 0:
		return n * 4, model.EncRaw
	}
	// A 256-entry float32 code book, then one uint8 index per value.
	t.DType = "uint8"
	t.Quant = &model.Quantization{Scheme: "ncnn 256-entry code book"}
	return (n + 3) / 4 * 4, model.EncOpaque
}
