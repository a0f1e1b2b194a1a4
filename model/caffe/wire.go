package caffe

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// wire decodes a binary NetParameter (.caffemodel) held in memory.
type wire struct {
	ctx    context.Context
	path   string
	budget int64 // estimated bytes of decoded structure still allowed
}

var errTooBig = errors.New("the file describes far more structure than its size allows")

const (
	costLayer = 512
	costAttr  = 128
	maxList   = 64
)

func (w *wire) spend(n int64) error {
	w.budget -= n
	if w.budget < 0 {
		return errTooBig
	}
	return model.Charge(w.ctx, 1)
}

func walk(msg []byte, base int64, d pbwire.Depth, fn func(f pbwire.Field, d pbwire.Depth) error) error {
	d, err := d.Enter()
	if err != nil {
		return err
	}
	return pbwire.Walk(msg, base, func(f pbwire.Field) error { return fn(f, d) })
}

func wantBytes(f pbwire.Field, what string) error {
	if f.Type != protowire.BytesType {
		return fmt.Errorf("%w: %s (field %d) is not length-delimited", pbwire.ErrMalformed, what, f.Num)
	}
	return nil
}

// netParameter decodes a NetParameter.
func (w *wire) netParameter(b []byte) (*net, error) {
	n := &net{}
	err := walk(b, 0, 0, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1, 3, 8, 2, 100:
			if err := wantBytes(f, "net field"); err != nil {
				return err
			}
		}
		switch f.Num {
		case 1:
			n.name = f.String()
		case 3:
			n.inputs = append(n.inputs, f.String())
		case 4:
			var err error
			n.inputDims, _, err = f.Ints(n.inputDims, 1<<16)
			return err
		case 8:
			s, err := w.blobShape(f.Bytes, f.Off, d)
			n.inputShapes = append(n.inputShapes, s)
			return err
		case 2, 100:
			l, err := w.layer(f.Bytes, f.Off, d, f.Num == 2)
			if err != nil {
				return fmt.Errorf("layer %d: %w", len(n.layers), err)
			}
			n.layers = append(n.layers, l)
			n.v1 = n.v1 || f.Num == 2
			n.v2 = n.v2 || f.Num == 100
		}
		return nil
	})
	return n, err
}

// blobShape decodes a BlobShape's dims.
func (w *wire) blobShape(b []byte, base int64, d pbwire.Depth) ([]int64, error) {
	dims := []int64{}
	err := walk(b, base, d, func(f pbwire.Field, _ pbwire.Depth) error {
		if f.Num != 1 {
			return nil
		}
		if err := w.spend(int64(len(f.Bytes)) * 8); err != nil {
			return err
		}
		var err error
		dims, _, err = f.Ints(dims, 1<<16)
		return err
	})
	return dims, err
}

// layerFields are the field numbers of a layer's structural fields in
// LayerParameter (V2) and V1LayerParameter.
type layerFields struct {
	name, typ, bottom, top, blobs protowire.Number
	schema                        string
}

var (
	v2Fields = layerFields{name: 1, typ: 2, bottom: 3, top: 4, blobs: 7, schema: "LayerParameter"}
	v1Fields = layerFields{name: 4, typ: 5, bottom: 2, top: 3, blobs: 6, schema: "V1LayerParameter"}
)

// layer decodes a LayerParameter or V1LayerParameter.
func (w *wire) layer(b []byte, base int64, d pbwire.Depth, v1 bool) (*layer, error) {
	if err := w.spend(costLayer); err != nil {
		return nil, err
	}
	lf := v2Fields
	if v1 {
		lf = v1Fields
	}
	l := &layer{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case lf.name, lf.bottom, lf.top, lf.blobs:
			if err := wantBytes(f, "layer field"); err != nil {
				return err
			}
		}
		switch f.Num {
		case lf.name:
			l.name = f.String()
		case lf.typ:
			l.typ = layerType(f, v1)
		case lf.bottom:
			l.bottoms = append(l.bottoms, f.String())
		case lf.top:
			l.tops = append(l.tops, f.String())
		case lf.blobs:
			t, err := w.blob(f.Bytes, f.Off, d)
			if err != nil {
				return fmt.Errorf("blob %d: %w", len(l.blobs), err)
			}
			l.blobs = append(l.blobs, t)
		default:
			return w.param(f, d, lf.schema, l)
		}
		return nil
	})
	return l, err
}

// layerType spells a layer's type: the V2 string, or the V1 enum name.
func layerType(f pbwire.Field, v1 bool) string {
	if !v1 {
		return f.String()
	}
	if s, ok := enums["LayerType"][f.Int()]; ok {
		return s
	}
	return "LAYER_TYPE_" + strconv.FormatInt(f.Int(), 10)
}

// blob decodes a BlobProto into a tensor whose data points into the file.
func (w *wire) blob(b []byte, base int64, d pbwire.Depth) (*model.Tensor, error) {
	if err := w.spend(costAttr); err != nil {
		return nil, err
	}
	t := &model.Tensor{DType: "float32"}
	var legacy [4]int64
	hasShape := false
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1, 2, 3, 4:
			legacy[f.Num-1] = f.Int()
		case 7:
			if err := wantBytes(f, "blob shape"); err != nil {
				return err
			}
			hasShape = true
			var err error
			t.Shape, err = w.blobShape(f.Bytes, f.Off, d)
			return err
		case 5, 8:
			if f.Num == 8 {
				t.DType = "float64"
			}
			if f.Type == protowire.BytesType {
				t.Location = &model.Location{File: w.path, Offset: f.Off, Length: int64(len(f.Bytes)), Encoding: model.EncRaw}
			}
		}
		return nil
	})
	if !hasShape {
		t.Shape = legacy[:]
	}
	return t, err
}

// param turns a layer's parameter message (convolution_param, ...) into
// attributes, named by caffe.proto.
func (w *wire) param(f pbwire.Field, d pbwire.Depth, schemaName string, l *layer) error {
	def, ok := schema[schemaName][int32(f.Num)]
	if !ok || def.kind != kMessage || f.Type != protowire.BytesType {
		return nil
	}
	if def.name == "input_param" {
		return walk(f.Bytes, f.Off, d, func(f pbwire.Field, d pbwire.Depth) error {
			if f.Num != 1 || f.Type != protowire.BytesType {
				return nil
			}
			s, err := w.blobShape(f.Bytes, f.Off, d)
			l.shapes = append(l.shapes, s)
			return err
		})
	}
	return walk(f.Bytes, f.Off, d, func(pf pbwire.Field, d pbwire.Depth) error {
		if err := w.spend(costAttr); err != nil {
			return err
		}
		return addAttr(l, schema[def.ref][int32(pf.Num)], pf, d)
	})
}
