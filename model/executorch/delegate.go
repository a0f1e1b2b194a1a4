package executorch

import (
	"fmt"
	"math"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

func float64frombits(u uint64) float64 { return math.Float64frombits(u) }

// delegateBlob describes a backend's processed blob: where it is stored
// (inline in backend_delegate_data or in a segment) and its size, with
// the blob as an opaque tensor the viewer can locate.
func (d *decoder) delegateBlob(dt flatbuf.Table) []model.Attribute {
	ref, ok := d.Sub(dt, delegateProcessed)
	if !ok {
		return nil
	}
	loc := d.Uint8(ref, dataRefLocation, 0)
	idx := int64(d.Uint32(ref, dataRefIndex, 0))
	where := "inline"
	var off, size int64
	var err error
	if loc == dataLocationSegment {
		where = "segment"
		off, size, err = d.segment(idx)
	} else {
		off, size, err = d.inlineDelegate(idx)
	}
	attrs := []model.Attribute{{Name: "blob_location", Type: model.AttrString, String: where}, {Name: "blob_index", Type: model.AttrInt, Int: idx}}
	if err != nil {
		d.warnOnce(fmt.Sprintf("delegate blob: %v", err))
		return attrs
	}
	blob := &model.Tensor{Name: "processed", DType: "uint8", Shape: []int64{size},
		Location: &model.Location{File: d.path, Offset: off, Length: size, Encoding: model.EncOpaque}}
	return append(attrs,
		model.Attribute{Name: "blob_bytes", Type: model.AttrInt, Int: size},
		model.Attribute{Name: "processed", Type: model.AttrTensor, Tensors: []*model.Tensor{blob}})
}

// inlineDelegate locates backend_delegate_data[i].data.
func (d *decoder) inlineDelegate(i int64) (int64, int64, error) {
	start, n := d.TableVector(d.prog, programDelegateData)
	if i < 0 || i >= n {
		return 0, 0, fmt.Errorf("refers to inline delegate data %d but the program has %d", i, n)
	}
	t, ok := d.Elem(start, i)
	if !ok {
		return 0, 0, d.wrap("delegate data")
	}
	off, size := d.Vector(t, bufferStorage, 1)
	return off, size, d.Err
}

// compileSpecs lists the keys of a delegate's compile specs.
func (d *decoder) compileSpecs(dt flatbuf.Table) []model.Attribute {
	start, n := d.TableVector(dt, delegateCompileSpec)
	if n == 0 || !d.Charge(n) {
		return nil
	}
	var keys []string
	for i := int64(0); i < min(n, maxAttrs); i++ {
		t, ok := d.Elem(start, i)
		if !ok {
			return nil
		}
		keys = append(keys, d.Str(t, compileSpecKey))
	}
	return []model.Attribute{{Name: "compile_specs", Type: model.AttrStrings, Strings: keys, Truncated: n > maxAttrs, Count: n}}
}
