package coreml

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// weights decodes a WeightParams into a tensor located in the spec file,
// or nil when it holds no values. Core ML stores weights flat: the shape
// is the number of stored elements.
func (d *decoder) weights(msg field, name string) (*model.Tensor, error) {
	if err := d.charge(costTensor); err != nil {
		return nil, err
	}
	t := &model.Tensor{Name: name}
	var floats32 int64
	var unpacked bool
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch {
		case f.Num == 1 && f.Type == protowire.BytesType:
			if f.Len%4 != 0 {
				return fmt.Errorf("weights %q: floatValue holds %d bytes, not a multiple of 4", name, f.Len)
			}
			floats32 += f.Len / 4
			d.locate(t, "float32", f, f.Len/4, model.EncRaw)
		case f.Num == 1 && f.Type == protowire.Fixed32Type:
			floats32++
			unpacked = true
		case f.Num == 2 && f.Type == protowire.BytesType:
			if f.Len%2 != 0 {
				return fmt.Errorf("weights %q: float16Value holds %d bytes, not a multiple of 2", name, f.Len)
			}
			d.locate(t, "float16", f, f.Len/2, model.EncRaw)
		case f.Num == 30 && f.Type == protowire.BytesType:
			d.locate(t, "raw", f, f.Len, model.EncOpaque)
		case f.Num == 31 && f.Type == protowire.BytesType:
			d.locate(t, "int8", f, f.Len, model.EncRaw)
		case f.Num == 40 && f.Type == protowire.BytesType:
			q, err := d.quantization(f)
			t.Quant = q
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if unpacked {
		// one field per value: the bytes are not contiguous
		t.DType, t.Shape = "float32", []int64{floats32}
		t.Location = &model.Location{File: d.path, Offset: msg.Off, Length: msg.Len, Encoding: model.EncOpaque}
	}
	if t.DType == "" {
		return nil, nil
	}
	return t, nil
}

// locate sets a tensor's dtype, flat shape and location; an empty field
// leaves the tensor as it was (another field may hold the values).
func (d *decoder) locate(t *model.Tensor, dtype model.DType, f field, n int64, enc model.Encoding) {
	if n == 0 {
		return
	}
	t.DType, t.Shape = dtype, []int64{n}
	t.Location = &model.Location{File: d.path, Offset: f.Off, Length: f.Len, Encoding: enc}
}

// quantization reads QuantizationParams: the bit width and the scale of
// linear quantisation, or the size of the lookup table.
func (d *decoder) quantization(msg field) (*model.Quantization, error) {
	q := &model.Quantization{}
	bits := uint64(0)
	kind := "quantized"
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			bits = f.Varint
		case 101:
			kind = "linear"
			return d.src.sub(d.ctx, f, func(p field) error {
				if p.Num == 1 && len(q.Scale) < maxAttrValues {
					vals, _ := floatValues(p, false)
					q.Scale = append(q.Scale, vals...)
				}
				return nil
			})
		case 102:
			kind = "lookup table"
		}
		return nil
	})
	q.Scale = q.Scale[:min(len(q.Scale), maxAttrValues)]
	q.Scheme = fmt.Sprintf("%s %d-bit", kind, bits)
	return q, err
}
