package coreml

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// description is a decoded ModelDescription.
type description struct {
	inputs, outputs []*model.Value
	predicted       string
	meta            map[string]string // Metadata: author, license, ...
	userDefined     map[string]string
	functions       []funcDesc
	defaultFunction string
}

// funcDesc is a FunctionDescription of a multi-function model.
type funcDesc struct {
	name            string
	inputs, outputs []*model.Value
	predicted       string
}

// ArrayFeatureType.ArrayDataType values.
var arrayDTypes = map[uint64]model.DType{
	65568: "float32", 65600: "float64", 131104: "int32", 131080: "int8", 65552: "float16",
}

func (d *decoder) description(msg field, depth pbwire.Depth) (description, error) {
	desc := description{inputs: []*model.Value{}, outputs: []*model.Value{}, meta: map[string]string{}}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1, 10:
			v, err := d.feature(f)
			if err != nil {
				return err
			}
			if f.Num == 1 {
				desc.inputs = append(desc.inputs, v)
			} else {
				desc.outputs = append(desc.outputs, v)
			}
		case 11:
			desc.predicted = d.src.str(f)
		case 20:
			fd, err := d.funcDescription(f)
			if err != nil {
				return err
			}
			desc.functions = append(desc.functions, fd)
		case 21:
			desc.defaultFunction = d.src.str(f)
		case 100:
			return d.metadata(f, &desc)
		}
		return nil
	})
	if err == nil && len(desc.inputs) == 0 && len(desc.outputs) == 0 {
		for _, fd := range desc.functions {
			if fd.name == desc.defaultFunction {
				desc.inputs, desc.outputs, desc.predicted = fd.inputs, fd.outputs, fd.predicted
			}
		}
	}
	return desc, err
}

func (d *decoder) funcDescription(msg field) (funcDesc, error) {
	fd := funcDesc{inputs: []*model.Value{}, outputs: []*model.Value{}}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			fd.name = d.src.str(f)
		case 2, 3:
			v, err := d.feature(f)
			if err != nil {
				return err
			}
			if f.Num == 2 {
				fd.inputs = append(fd.inputs, v)
			} else {
				fd.outputs = append(fd.outputs, v)
			}
		case 4:
			fd.predicted = d.src.str(f)
		}
		return nil
	})
	return fd, err
}

// metadata reads a Metadata message.
func (d *decoder) metadata(msg field, desc *description) error {
	keys := map[int]string{1: "shortDescription", 2: "versionString", 3: "author", 4: "license"}
	return d.src.sub(d.ctx, msg, func(f field) error {
		if k, ok := keys[int(f.Num)]; ok {
			desc.meta[k] = d.src.str(f)
			return nil
		}
		if f.Num != 100 {
			return nil
		}
		var k, v string
		err := d.src.sub(d.ctx, f, func(e field) error {
			switch e.Num {
			case 1:
				k = d.src.str(e)
			case 2:
				v = d.src.str(e)
			}
			return nil
		})
		if desc.userDefined == nil {
			desc.userDefined = map[string]string{}
		}
		desc.userDefined[k] = v
		return err
	})
}

// feature reads a FeatureDescription into a Value.
func (d *decoder) feature(msg field) (*model.Value, error) {
	if err := d.charge(costValue); err != nil {
		return nil, err
	}
	v := &model.Value{}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			v.Name = d.src.str(f)
		case 2:
			v.Doc = d.src.str(f)
		case 3:
			t, err := d.featureType(f)
			v.Type = t
			return err
		}
		return nil
	})
	if err != nil {
		return nil, within(err, "feature %q", v.Name)
	}
	return v, nil
}

// featureType maps a FeatureType to a model type: scalars are 0-d
// tensors, images "image" [height, width], dictionaries "dictionary".
func (d *decoder) featureType(msg field) (*model.Type, error) {
	t := &model.Type{Kind: model.KindTensor}
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			t.DType, t.Shape = "int64", model.Shape{}
		case 2:
			t.DType, t.Shape = "float64", model.Shape{}
		case 3:
			t.DType, t.Shape = "string", model.Shape{}
		case 4:
			return d.imageType(f, t)
		case 5:
			return d.arrayType(f, t)
		case 6:
			t.DType, t.Shape = "dictionary", nil
		case 7:
			t.DType, t.Shape = "sequence", nil
		case 8:
			return d.src.sub(d.ctx, f, func(a field) error {
				if a.Num == 1 {
					t.Denotation = "state"
					return d.arrayType(a, t)
				}
				return nil
			})
		}
		return nil
	})
	return t, err
}

func (d *decoder) imageType(msg field, t *model.Type) error {
	var w, h int64
	t.DType = "image"
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			w = int64(f.Varint)
		case 2:
			h = int64(f.Varint)
		case 3:
			t.Denotation = colorSpaces[f.Varint]
		}
		return nil
	})
	t.Shape = model.Shape{model.IntDim(h), model.IntDim(w)}
	return err
}

// colorSpaces are the ImageFeatureType.ColorSpace names.
var colorSpaces = map[uint64]string{10: "GRAYSCALE", 20: "RGB", 30: "BGR", 40: "GRAYSCALE_FLOAT16"}

func (d *decoder) arrayType(msg field, t *model.Type) error {
	var shape model.Shape
	err := d.src.sub(d.ctx, msg, func(f field) error {
		switch f.Num {
		case 1:
			ints, _, err := f.wire().Ints(nil, 64)
			for _, n := range ints {
				if len(shape) < 64 {
					shape = append(shape, dim(n))
				}
			}
			return err
		case 2:
			t.DType = arrayDTypes[f.Varint]
			if t.DType == "" {
				t.DType = model.DType(fmt.Sprintf("array_type_%d", f.Varint))
			}
		}
		return nil
	})
	t.Shape = shape
	return err
}

// dim is a stored dimension; negative ones are unknown.
func dim(n int64) model.Dim {
	if n < 0 {
		return model.Dim{}
	}
	return model.IntDim(n)
}
