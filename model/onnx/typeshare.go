package onnx

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// maxSharedType is the largest TypeProto message whose decoded type is
// shared: a tensor type of a dozen named dimensions.
const maxSharedType = 256

// sharedType decodes the TypeProto of a value info, or returns the type
// decoded before from the same bytes. Most values of a graph have one of
// a few types (a transformer's 100,000 values have a few hundred), which
// model.ShareTypes would merge after decoding anyway; decoding each one
// again allocated its shape and dimensions for nothing, a third of the
// time spent on value infos. Types are not changed after decoding, so
// sharing them is safe.
func (d *decoder) sharedType(f field) (*model.Type, error) {
	if f.typ != protowire.BytesType || f.n > maxSharedType {
		return d.typeProto(f)
	}
	b, err := d.src.bytes(f.off, f.n)
	if err != nil {
		return nil, err
	}
	if t, ok := d.types[string(b)]; ok {
		return t, nil
	}
	key := string(b) // before typeProto, which may move a read window
	t, err := d.typeProto(f)
	if err != nil {
		return nil, err
	}
	if d.types == nil {
		d.types = map[string]*model.Type{}
	}
	d.types[key] = t
	return t, nil
}
