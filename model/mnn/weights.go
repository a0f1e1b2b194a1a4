package mnn

import (
	"path/filepath"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// weightField is a weight array inside an op parameter.
type weightField struct {
	slot  int
	name  string
	dtype model.DType
	size  int64
}

// paramWeightFields lists the weight arrays of parameter tables, by union
// type byte: Convolution2D, InnerProduct, Scale, BatchNorm, PRelu,
// Normalize.
var paramWeightFields = map[uint8][]weightField{
	paramConvolution2D: {{convWeight, "weight", "float32", 4}, {convBias, "bias", "float32", 4}},
	5:                  {{1, "slope", "float32", 4}, {2, "mean", "float32", 4}, {3, "var", "float32", 4}, {4, "bias", "float32", 4}, {5, "A", "float32", 4}, {6, "B", "float32", 4}},
	20:                 {{3, "weight", "float32", 4}, {4, "bias", "float32", 4}},
	32:                 {{1, "slope", "float32", 4}},
	58:                 {{1, "scale", "float32", 4}, {2, "bias", "float32", 4}},
}

// paramWeights shows the weights stored inside an op's parameter as
// tensor attributes located in the file; a convolution's weight gets its
// [out, in/group, kH, kW] shape when the counts agree, and quantised
// weights (IDSTQuan.buffer) appear as an opaque int8 blob.
func (d *decoder) paramWeights(ptype uint8, pt flatbuf.Table, n *model.Node, ext string) []model.Attribute {
	var attrs []model.Attribute
	for _, w := range paramWeightFields[ptype] {
		start, count := d.Vector(pt, w.slot, w.size)
		if start == 0 || count == 0 {
			continue
		}
		t := &model.Tensor{Name: n.Name + "/" + w.name, DType: w.dtype, Shape: []int64{count},
			Location: &model.Location{File: d.path, Offset: start, Length: count * w.size, Encoding: model.EncRaw}}
		if ptype == paramConvolution2D && w.slot == convWeight {
			t.Shape = d.convShape(pt, count)
		}
		attrs = append(attrs, model.Attribute{Name: w.name, Type: model.AttrTensor, Tensors: []*model.Tensor{t}})
	}
	if ptype == paramConvolution2D {
		if qt, ok := d.Sub(pt, convQuan); ok {
			if start, count := d.Vector(qt, quanBuffer, 1); start != 0 && count > 0 {
				t := &model.Tensor{Name: n.Name + "/quantized_weight", DType: "int8", Shape: []int64{count},
					Location: &model.Location{File: d.path, Offset: start, Length: count, Encoding: model.EncOpaque}}
				attrs = append(attrs, model.Attribute{Name: "quantized_weight", Type: model.AttrTensor, Tensors: []*model.Tensor{t}})
			}
		}
		attrs = append(attrs, d.convExternal(pt, n, ext)...)
	}
	return attrs
}

// convExternal locates a convolution's weight and bias kept in an
// external file: Convolution2D.external is [offset, weight bytes, bias
// bytes], the bias right after the weight.
func (d *decoder) convExternal(pt flatbuf.Table, n *model.Node, file string) []model.Attribute {
	ext, _, ok := d.Int64s(pt, convExternal, 8)
	if !ok || len(ext) < 2 || ext[0] < 0 || ext[1] <= 0 {
		return nil
	}
	attrs := []model.Attribute{{Name: "external", Type: model.AttrInts, Ints: ext, Doc: "[offset, weight bytes, bias bytes] in " + filepath.Base(file)}}
	w := &model.Tensor{Name: n.Name + "/weight", DType: "float32", Shape: d.convShape(pt, ext[1]/4),
		Location: d.externalLocation(file, ext[0], ext[1], model.EncRaw)}
	if _, quant := d.Sub(pt, convQuan); quant || ext[1]%4 != 0 {
		w.DType, w.Shape = "int8", []int64{ext[1]}
		if w.Location != nil {
			w.Location.Encoding = model.EncOpaque
		}
	}
	attrs = append(attrs, model.Attribute{Name: "weight", Type: model.AttrTensor, Tensors: []*model.Tensor{w}})
	if len(ext) >= 3 && ext[2] > 0 && ext[1] <= 1<<62-ext[0] {
		b := &model.Tensor{Name: n.Name + "/bias", DType: "float32", Shape: []int64{ext[2] / 4},
			Location: d.externalLocation(file, ext[0]+ext[1], ext[2], model.EncRaw)}
		attrs = append(attrs, model.Attribute{Name: "bias", Type: model.AttrTensor, Tensors: []*model.Tensor{b}})
	}
	return attrs
}

// convShape is a convolution weight's [out, in/group, kH, kW] shape when
// Convolution2DCommon agrees with the element count, else [count].
func (d *decoder) convShape(pt flatbuf.Table, count int64) []int64 {
	ct, ok := d.Sub(pt, convCommon)
	if !ok {
		return []int64{count}
	}
	oc := int64(d.Int32(ct, 10, 0))
	kx, ky := int64(d.Int32(ct, 2, 1)), int64(d.Int32(ct, 3, 1))
	if oc <= 0 || kx <= 0 || ky <= 0 || oc > count || kx > count || ky > count || count%(oc*kx*ky) != 0 {
		return []int64{count}
	}
	return []int64{oc, count / (oc * kx * ky), ky, kx}
}

// blobData lists where a Blob keeps its elements, by element size.
var blobData = []struct {
	slot int
	size int64
}{{blobFloat32s, 4}, {blobInt32s, 4}, {blobInt64s, 8}, {blobUint8s, 1}, {blobInt8s, 1}}

// blobTensor is the constant a Const or TrainableParam op's Blob holds,
// located at whichever data vector it uses.
func (d *decoder) blobTensor(bt flatbuf.Table, name, ext string) *model.Tensor {
	dims, n, _ := d.Int32s(bt, blobDims, maxRank)
	if int64(len(dims)) < n {
		d.Fail("a blob has rank %d (limit %d)", n, maxRank)
	}
	if dims == nil {
		dims = []int64{}
	}
	t := &model.Tensor{Name: name, DType: model.DType(dtypeOf(d.Int32(bt, blobDataType, dtFloat))), Shape: dims}
	for _, v := range blobData {
		start, count := d.Vector(bt, v.slot, v.size)
		if start != 0 && count > 0 {
			t.Location = &model.Location{File: d.path, Offset: start, Length: count * v.size, Encoding: model.EncRaw}
			if w, fixed := model.DTypeSize(t.DType); !fixed || int64(w) != v.size {
				t.Location.Encoding = model.EncOpaque
			}
			return t
		}
	}
	if off, _, ok := d.Int64s(bt, blobExternal, 8); ok && len(off) >= 2 {
		enc := model.EncRaw
		if _, fixed := model.DTypeSize(t.DType); !fixed {
			enc = model.EncOpaque
		}
		t.Location = d.externalLocation(ext, off[0], off[1], enc)
		t.Extra = append(t.Extra, model.Property{Name: "external", Value: filepath.Base(ext)})
	}
	return t
}
