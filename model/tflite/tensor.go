package tflite

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// maxQuantValues bounds the per-channel scales and zero points kept.
const maxQuantValues = 4096

// decodeTensor decodes tensor i of a subgraph; used holds the value names
// taken so far (TFLite does not require unique tensor names).
func (d *decoder) decodeTensor(t flatbuf.Table, i int, used map[string]bool) (tensorInfo, error) {
	name := d.Str(t, tensorName)
	if name == "" || used[name] {
		name = fmt.Sprintf("%s#%d", name, i)
	}
	used[name] = true
	dtype := dtypeOf(int8(d.Uint8(t, tensorType, 0)))
	shape, rank, _ := d.Int32s(t, tensorShape, maxRank)
	if int64(len(shape)) < rank {
		return tensorInfo{}, fmt.Errorf("tensor %q has rank %d (limit %d)", name, rank, maxRank)
	}
	sig, sigRank, hasSig := d.Int32s(t, tensorShapeSignature, maxRank)
	if int64(len(sig)) < sigRank {
		return tensorInfo{}, fmt.Errorf("tensor %q has a shape signature of rank %d (limit %d)", name, sigRank, maxRank)
	}
	if d.Err != nil {
		return tensorInfo{}, d.Err
	}
	typ := &model.Type{Kind: model.KindTensor, DType: dtype, Shape: model.ShapeOf(shape)}
	if shape == nil {
		typ.Shape = model.Shape{}
	}
	if hasSig && len(sig) == len(shape) {
		for j, s := range sig {
			if s < 0 {
				typ.Shape[j] = model.Dim{}
			}
		}
	}
	ti := tensorInfo{name: name, typ: typ}
	var extra []model.Property
	if hasSig {
		extra = append(extra, model.Property{Name: "shape_signature", Value: intsText(sig)})
	}
	if d.Bool(t, tensorIsVariable, false) {
		extra = append(extra, model.Property{Name: "variable", Value: "true"})
	}
	quant := d.quantization(t)
	ti.doc = quantText(quant)
	sparse := false
	if st, ok := d.Sub(t, tensorSparsity); ok {
		sparse = true
		typ.Kind = model.KindSparseTensor
		extra = append(extra, model.Property{Name: "sparsity", Value: d.sparsity(st)})
	}
	bi := int64(d.Uint32(t, tensorBuffer, 0))
	if d.Err != nil {
		return tensorInfo{}, d.Err
	}
	loc, err := d.buffer(bi, dtype)
	if err != nil {
		return tensorInfo{}, fmt.Errorf("tensor %q %w", name, err)
	}
	if loc != nil {
		dims := shape
		if dims == nil {
			dims = []int64{}
		}
		extra = append(extra, model.Property{Name: "buffer", Value: strconv.FormatInt(bi, 10)})
		ti.init = &model.Tensor{Name: name, DType: dtype, Shape: dims, Location: loc, Quant: quant, Sparse: sparse, Extra: extra}
	}
	return ti, nil
}

// quantization decodes a tensor's quantisation parameters.
func (d *decoder) quantization(t flatbuf.Table) *model.Quantization {
	qt, ok := d.Sub(t, tensorQuantization)
	if !ok {
		return nil
	}
	q := &model.Quantization{}
	q.Min, _ = d.floats(qt, quantMin)
	q.Max, _ = d.floats(qt, quantMax)
	var nScale int64
	q.Scale, nScale = d.floats(qt, quantScale)
	start, n := d.Vector(qt, quantZeroPoint, 8)
	k := min(n, maxQuantValues)
	if d.Charge(8 * k) {
		for j := int64(0); j < k; j++ {
			q.ZeroPoint = append(q.ZeroPoint, int64(d.U64At(start+8*j)))
		}
	}
	q.Axis = int64(d.Int32(qt, quantDimension, 0))
	switch d.Uint8(qt, quantDetailsType, 0) {
	case 0:
		if nScale > 1 {
			q.Scheme = fmt.Sprintf("per-channel affine, axis %d, %d channels", q.Axis, nScale)
		}
	case 1:
		q.Scheme = "custom quantization"
	case 2:
		if bt, ok := d.Sub(qt, quantDetails); ok {
			q.Scheme = fmt.Sprintf("blockwise, block size %d, scales in tensor %d, zero points in tensor %d",
				d.Int32(bt, 2, 0), d.Int32(bt, 0, 0), d.Int32(bt, 1, 0))
		}
	case 3:
		q.Scheme = "multi-axis quantization"
	default:
		q.Scheme = "unknown quantization details"
	}
	if nScale > int64(len(q.Scale)) {
		q.Scheme += fmt.Sprintf(" (first %d of %d scales shown)", len(q.Scale), nScale)
	}
	if q.Min == nil && q.Max == nil && q.Scale == nil && q.ZeroPoint == nil && q.Scheme == "" {
		return nil
	}
	return q
}

func (d *decoder) floats(t flatbuf.Table, slot int) ([]float64, int64) {
	start, n := d.Vector(t, slot, 4)
	if start == 0 {
		return nil, 0
	}
	k := min(n, maxQuantValues)
	if !d.Charge(8 * k) {
		return nil, 0
	}
	out := make([]float64, k)
	for j := range out {
		out[j] = float64(d.F32At(start + 4*int64(j)))
	}
	return out, n
}

// sparsity describes a tensor's sparse encoding in one line.
func (d *decoder) sparsity(st flatbuf.Table) string {
	order, _, _ := d.Int32s(st, sparsityTraversal, maxRank)
	blockMap, _, hasBlocks := d.Int32s(st, sparsityBlockMap, maxRank)
	start, n := d.TableVector(st, sparsityDimMeta)
	var dims []string
	for j := int64(0); j < min(n, maxRank) && d.Err == nil; j++ {
		dt, ok := d.Elem(start, j)
		if !ok {
			break
		}
		if d.Uint8(dt, dimFormat, 0) == 0 {
			dims = append(dims, fmt.Sprintf("dense(%d)", d.Int32(dt, dimDenseSize, 0)))
		} else {
			dims = append(dims, "csr")
		}
	}
	s := "traversal order " + intsText(order) + ", dimensions " + strings.Join(dims, " ")
	if hasBlocks {
		s += ", block map " + intsText(blockMap)
	}
	return s
}

func intsText(v []int64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// quantText summarises quantisation parameters in one line for a value's
// documentation: "scale 0.0039, zero point -128" or the scheme.
func quantText(q *model.Quantization) string {
	if q == nil {
		return ""
	}
	if q.Scheme != "" {
		return "quantization: " + q.Scheme
	}
	var parts []string
	if len(q.Scale) == 1 {
		parts = append(parts, "scale "+strconv.FormatFloat(q.Scale[0], 'g', 6, 64))
	}
	if len(q.ZeroPoint) == 1 {
		parts = append(parts, "zero point "+strconv.FormatInt(q.ZeroPoint[0], 10))
	}
	if len(q.Min) == 1 && len(q.Max) == 1 {
		parts = append(parts, fmt.Sprintf("range [%g, %g]", q.Min[0], q.Max[0]))
	}
	if len(parts) == 0 {
		return ""
	}
	return "quantization: " + strings.Join(parts, ", ")
}
