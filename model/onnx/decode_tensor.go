package onnx

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// TensorProto field numbers.
const (
	tensorDims         = 1
	tensorDataType     = 2
	tensorSegment      = 3
	tensorFloatData    = 4
	tensorInt32Data    = 5
	tensorStringData   = 6
	tensorInt64Data    = 7
	tensorName         = 8
	tensorRawData      = 9
	tensorDoubleData   = 10
	tensorUint64Data   = 11
	tensorDoc          = 12
	tensorExternalData = 13
	tensorDataLocation = 14
)

// dataField records where one of a tensor's data fields lies.
type dataField struct {
	num      protowire.Number
	off, n   int64
	repeated int  // occurrences
	unpacked bool // an occurrence was not packed
}

// tensor decodes the TensorProto stored in [off, end) without reading its
// data: only where the data lies is recorded.
func (d *decoder) tensor(off, end int64) (*model.Tensor, error) {
	if err := d.charge(costTensor); err != nil {
		return nil, err
	}
	t := &model.Tensor{Shape: []int64{}}
	var data dataField
	var external bool
	var ext externalRef
	var segment bool
	err := d.each(off, end, func(f field) error {
		var err error
		switch f.num {
		case tensorDims:
			if len(t.Shape) >= maxRank {
				return fmt.Errorf("a tensor has more than %d dimensions", maxRank)
			}
			var n int64
			n, err = d.int64s(f, maxRank, &t.Shape)
			if err == nil && int64(len(t.Shape)) < n {
				err = fmt.Errorf("a tensor has more than %d dimensions", maxRank)
			}
			if err == nil {
				err = d.charge(int(n) * costDim)
			}
		case tensorDataType:
			if err = want(f, protowire.VarintType, "data_type"); err == nil {
				t.DType = dtypeOf(f.v)
			}
		case tensorName:
			t.Name, err = d.str(f)
		case tensorDoc:
			t.Doc, err = d.doc(f)
		case tensorSegment:
			segment = true
		case tensorDataLocation:
			if err = want(f, protowire.VarintType, "data_location"); err == nil {
				external = f.v == 1
			}
		case tensorExternalData:
			var k, v string
			if k, v, err = d.stringPair(f); err == nil {
				ext.set(k, v)
			}
		case tensorRawData, tensorFloatData, tensorInt32Data, tensorStringData, tensorInt64Data, tensorDoubleData, tensorUint64Data:
			if data.num != 0 && data.num != f.num {
				// Several kinds of data: raw_data wins, as in ONNX.
				if f.num != tensorRawData {
					return nil
				}
				data = dataField{}
			}
			data.num = f.num
			data.repeated++
			if f.typ != protowire.BytesType || f.num == tensorStringData {
				data.unpacked = true
			} else if data.repeated == 1 {
				data.off, data.n = f.off, f.n
			}
		}
		return err
	})
	if err != nil {
		if t.Name != "" {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		return nil, fmt.Errorf("tensor: %w", err)
	}
	if segment {
		t.Extra = append(t.Extra, model.Property{Name: "segment", Value: "this tensor is one segment of a larger one"})
	}
	if external {
		t.Location = d.externalLocation(t, ext)
		t.Extra = append(t.Extra, model.Property{Name: "external data", Value: ext.location})
		if ext.offset > 0 {
			t.Extra = append(t.Extra, model.Property{Name: "external offset", Value: strconv.FormatInt(ext.offset, 10)})
		}
		return t, nil
	}
	if data.num != 0 {
		t.Location = &model.Location{File: d.path, Offset: data.off, Length: data.n, Encoding: encodingOf(data)}
		if t.Location.Encoding == model.EncOpaque {
			t.Location.Offset, t.Location.Length = 0, 0
		}
	}
	return t, nil
}

// encodingOf names how a data field's bytes are laid out.
func encodingOf(data dataField) model.Encoding {
	if data.unpacked || data.repeated > 1 {
		return model.EncOpaque
	}
	switch data.num {
	case tensorRawData:
		return model.EncRaw
	case tensorFloatData:
		return model.EncPackedFloat32
	case tensorDoubleData:
		return model.EncPackedFloat64
	case tensorInt32Data, tensorInt64Data, tensorUint64Data:
		return model.EncVarint
	}
	return model.EncOpaque
}

// sparseTensor decodes a SparseTensorProto: the tensor's name and dtype
// are those of its values, its shape is the dense shape, and its location
// is that of the values.
func (d *decoder) sparseTensor(f field) (*model.Tensor, error) {
	if err := want(f, protowire.BytesType, "sparse tensor"); err != nil {
		return nil, err
	}
	var values, indices *model.Tensor
	var dims []int64
	var ndims int64
	err := d.each(f.off, f.end(), func(f field) error {
		var err error
		switch f.num {
		case 1, 2:
			var t *model.Tensor
			if err = want(f, protowire.BytesType, "sparse tensor part"); err == nil {
				if t, err = d.tensor(f.off, f.end()); err == nil {
					if f.num == 1 {
						values = t
					} else {
						indices = t
					}
				}
			}
		case 3:
			var n int64
			n, err = d.int64s(f, maxRank, &dims)
			ndims += n
			if err == nil && ndims > maxRank {
				err = fmt.Errorf("a sparse tensor has more than %d dimensions", maxRank)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sparse tensor: %w", err)
	}
	if values == nil {
		values = &model.Tensor{}
	}
	t := &model.Tensor{Name: values.Name, DType: values.DType, Shape: dims, Location: values.Location, Doc: values.Doc, Sparse: true}
	if t.Shape == nil {
		t.Shape = []int64{}
	}
	nnz := "?"
	if len(values.Shape) > 0 {
		nnz = strconv.FormatInt(values.Shape[0], 10)
	}
	t.Extra = append(t.Extra, model.Property{Name: "non-zero values", Value: nnz})
	if indices != nil {
		t.Extra = append(t.Extra, model.Property{Name: "indices", Value: fmt.Sprintf("%s %v", indices.DType, indices.Shape)})
	}
	return t, nil
}
