package openvino

import (
	"fmt"
	"strconv"

	"github.com/modelpeek/modelpeek/model"
)

// constTensor describes a Const layer's weight: element type and shape
// from <data>, bytes at data@offset/size in the .bin.
func (b *netBuilder) constTensor(name string, l *elem) *model.Tensor {
	data := l.child("data")
	if data == nil {
		data = &elem{}
	}
	t := &model.Tensor{Name: name, DType: elementType(data.attr("element_type")), Shape: []int64{}}
	shape, ok := staticShape(data.attr("shape"))
	if ok {
		t.Shape = shape
	} else {
		t.Doc = "shape " + data.attr("shape")
	}
	off, err1 := strconv.ParseInt(data.attr("offset"), 10, 64)
	size, err2 := strconv.ParseInt(data.attr("size"), 10, 64)
	if err1 == nil && err2 == nil {
		t.Location = b.locate(off, size, b.encoding(t, size))
	}
	b.tensors = append(b.tensors, t)
	return t
}

// encoding is raw when the bytes are exactly the elements in their
// natural width, else opaque (sub-byte and string types, compressed).
func (b *netBuilder) encoding(t *model.Tensor, size int64) model.Encoding {
	es, ok := model.DTypeSize(t.DType)
	n, ok2 := model.NumElements(t.Shape)
	if !ok || !ok2 || n > size || n*int64(es) != size {
		return model.EncOpaque
	}
	return model.EncRaw
}

// locate checks a byte range against the weights file.
func (b *netBuilder) locate(off, size int64, enc model.Encoding) *model.Location {
	if b.missing {
		return &model.Location{File: b.bin, Offset: off, Length: size, Encoding: enc, Missing: true}
	}
	if off < 0 || size < 0 || off > b.binSize || size > b.binSize-off {
		if !b.badLoc {
			b.badLoc = true
			b.warnings = append(b.warnings, fmt.Sprintf("some weights lie outside the %d-byte weights file", b.binSize))
		}
		return nil
	}
	return &model.Location{File: b.bin, Offset: off, Length: size, Encoding: enc}
}

// blobTensors lists a legacy layer's <blobs> (weights, biases, custom) as
// flat tensors of the layer's precision.
func (b *netBuilder) blobTensors(name string, l *elem) []*model.Tensor {
	blobs := l.child("blobs")
	if blobs == nil {
		return nil
	}
	var out []*model.Tensor
	for _, k := range blobs.kids {
		prec := k.attr("precision")
		if prec == "" {
			prec = l.attr("precision")
		}
		t := &model.Tensor{Name: name + "/" + k.name, DType: precision(prec)}
		off, err1 := strconv.ParseInt(k.attr("offset"), 10, 64)
		size, err2 := strconv.ParseInt(k.attr("size"), 10, 64)
		if err1 != nil || err2 != nil || size < 0 {
			continue
		}
		enc := model.EncRaw
		if es, ok := model.DTypeSize(t.DType); ok && size%int64(es) == 0 {
			t.Shape = []int64{size / int64(es)}
		} else {
			t.DType, t.Shape, enc = "uint8", []int64{size}, model.EncOpaque
		}
		t.Location = b.locate(off, size, enc)
		b.tensors = append(b.tensors, t)
		out = append(out, t)
	}
	return out
}
