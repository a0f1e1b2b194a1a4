package executorch

import (
	"fmt"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// constants lists the plan's constant tensors (data_buffer_idx > 0, or
// data stored outside the file) as initializers, located in the file.
func (d *decoder) constants(p *plan) error {
	for i, ev := range p.values {
		if ev.kind != kindTensor {
			continue
		}
		idx := int64(d.Uint32(ev.t, tensorDataBufferIdx, 0))
		extra, hasExtra := d.Sub(ev.t, tensorExtraInfo)
		external := hasExtra && d.Uint8(extra, extraLocation, 0) == tensorExternal
		if d.Err != nil {
			return d.wrap(fmt.Sprintf("value %d", i))
		}
		if idx == 0 && !external {
			continue
		}
		dt, sizes := d.tensorInfo(ev.t)
		t := &model.Tensor{Name: itoa(int64(i)), DType: dt, Shape: sizes}
		fqn := ""
		if hasExtra {
			fqn = d.Str(extra, extraFQN)
		}
		if fqn != "" {
			t.Extra = append(t.Extra, model.Property{Name: "fully qualified name", Value: fqn})
		}
		var err error
		switch {
		case external:
			t.Location, err = d.namedLocation(fqn, t)
		case d.Has(ev.t, tensorAllocation):
			t.Extra = append(t.Extra, model.Property{Name: "mutable", Value: "initial state in the file"})
			t.Location, err = d.mutableLocation(extra, hasExtra, idx, t)
		default:
			t.Location, err = d.constantLocation(idx, t)
		}
		if err != nil {
			d.warnOnce(fmt.Sprintf("constant tensor %d: %v", i, err))
		}
		p.defined[int64(i)] = true
		p.g.Initializers = append(p.g.Initializers, t)
		if d.Err != nil {
			return d.wrap(fmt.Sprintf("value %d", i))
		}
	}
	return nil
}

// nbytes is a tensor's size in bytes when its dtype has a fixed width.
func nbytes(t *model.Tensor) (int64, bool) {
	w, fixed := model.DTypeSize(t.DType)
	n, ok := model.NumElements(t.Shape)
	if !fixed || !ok || w <= 0 || n > (1<<62)/int64(w) {
		return 0, false
	}
	return n * int64(w), true
}

// place builds a Location for a tensor whose data starts at off within a
// region ending at end: its computed size, cut to the region.
func (d *decoder) place(t *model.Tensor, off, end int64) (*model.Location, error) {
	if off < 0 || off > end {
		return nil, fmt.Errorf("data at offset %d lies outside its region", off)
	}
	loc := &model.Location{File: d.path, Offset: off, Length: end - off, Encoding: model.EncRaw}
	n, ok := nbytes(t)
	if !ok {
		loc.Encoding = model.EncOpaque
		return loc, nil
	}
	if n > end-off {
		return nil, fmt.Errorf("needs %d bytes but only %d remain in its region", n, end-off)
	}
	loc.Length = n
	return loc, nil
}

// constantLocation finds constant idx in constant_segment or, for older
// files, inline in constant_buffer.
func (d *decoder) constantLocation(idx int64, t *model.Tensor) (*model.Location, error) {
	if cs, ok := d.Sub(d.prog, programConstSegment); ok && d.Has(cs, subsegOffsets) {
		return d.subsegment(cs, idx, t)
	}
	start, n := d.TableVector(d.prog, programConstantBuffer)
	if idx >= n {
		return nil, fmt.Errorf("refers to constant buffer %d but the program has %d", idx, n)
	}
	bt, ok := d.Elem(start, idx)
	if !ok {
		return nil, d.wrap("constant buffer")
	}
	off, size := d.Vector(bt, bufferStorage, 1)
	if d.Err != nil {
		return nil, d.wrap("constant buffer")
	}
	return d.place(t, off, off+size)
}

// subsegment locates entry idx of a SubsegmentOffsets table: an offset
// into the segment it names.
func (d *decoder) subsegment(st flatbuf.Table, idx int64, t *model.Tensor) (*model.Location, error) {
	start, n := d.Vector(st, subsegOffsets, 8)
	if idx >= n {
		return nil, fmt.Errorf("refers to constant %d but the segment lists %d", idx, n)
	}
	segOff, segSize, err := d.segment(int64(d.Uint32(st, subsegIndex, 0)))
	if err != nil {
		return nil, err
	}
	rel := d.U64At(start + 8*idx)
	if d.Err != nil {
		return nil, d.wrap("constant offsets")
	}
	if rel > uint64(segSize) {
		return nil, fmt.Errorf("offset %d is past the end of its %d-byte segment", rel, segSize)
	}
	return d.place(t, segOff+int64(rel), segOff+segSize)
}

// mutableLocation locates the initial state of a mutable tensor in
// mutable_data_segments.
func (d *decoder) mutableLocation(extra flatbuf.Table, hasExtra bool, idx int64, t *model.Tensor) (*model.Location, error) {
	which := int64(0)
	if hasExtra {
		which = d.Int64(extra, extraMutableIdx)
	}
	start, n := d.TableVector(d.prog, programMutableData)
	if which < 0 || which >= n {
		return nil, fmt.Errorf("refers to mutable data segment %d but the program has %d", which, n)
	}
	st, ok := d.Elem(start, which)
	if !ok {
		return nil, d.wrap("mutable data segments")
	}
	return d.subsegment(st, idx, t)
}

// namedLocation finds external tensor data stored in this file under its
// fully qualified name (Program.named_data); data kept in a separate
// .ptd file is marked missing.
func (d *decoder) namedLocation(fqn string, t *model.Tensor) (*model.Location, error) {
	seg, ok := d.named[fqn]
	if !ok || fqn == "" {
		t.Extra = append(t.Extra, model.Property{Name: "data", Value: "external (.ptd file)"})
		return nil, nil
	}
	off, size, err := d.segment(seg)
	if err != nil {
		return nil, err
	}
	return d.place(t, off, off+size)
}
