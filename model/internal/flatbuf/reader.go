// Package flatbuf reads the flatbuffer wire format with every offset,
// vtable and vector length checked against the file size before use.
//
// The flatbuffers Go runtime trusts its input and panics on a bad offset
// (by design); decoders of untrusted model files (TFLite, ExecuTorch, MNN)
// read through a Reader instead, and use the runtime only to decode bytes
// already checked.
package flatbuf

import (
	"errors"
	"fmt"
	"math"

	flatbuffers "github.com/google/flatbuffers/go"
)

// Reader reads flatbuffer values from a Source. The first problem is kept
// in Err and every later read returns zero values, so decoding code reads
// straight through and checks Err at the end of each table.
type Reader struct {
	Src *Source
	// Err is the first problem met; once set, reads return zero values.
	Err error
	// Budget is the work left: vector elements and table visits. Shared
	// sub-tables referenced from many places cannot blow up the decode.
	Budget int64
}

// NewReader returns a Reader over src with the given work budget.
func NewReader(src *Source, budget int64) *Reader {
	return &Reader{Src: src, Budget: budget}
}

// Table is a checked flatbuffer table: its position, its vtable position,
// and the vtable and inline-table lengths. The zero Table is absent: its
// fields read as their defaults.
type Table struct {
	Pos, VT      int64
	VTLen, TBLen int64
}

// ErrBudget is the error kept when a file exhausts the work budget.
var ErrBudget = errors.New("the model is too large or repeats its structures too often to show")

// MaxString bounds the strings kept (names, descriptions); longer ones are
// cut and marked with "…".
const MaxString = 64 << 10

// Fail records an error unless one is already kept.
func (f *Reader) Fail(format string, args ...any) {
	if f.Err == nil {
		f.Err = fmt.Errorf(format, args...)
	}
}

// Charge takes n units of work from the budget; false (and Err set) when
// the budget is spent or an error is already kept.
func (f *Reader) Charge(n int64) bool {
	if f.Err != nil {
		return false
	}
	f.Budget -= n
	if f.Budget < 0 {
		f.Err = ErrBudget
		return false
	}
	return true
}

// Bytes returns the n bytes at off, nil on error.
func (f *Reader) Bytes(off, n int64) []byte {
	if f.Err != nil {
		return nil
	}
	b, err := f.Src.At(off, n)
	if err != nil {
		f.Err = err
		return nil
	}
	return b
}

// U8At reads the byte at off.
func (f *Reader) U8At(off int64) uint8 {
	if b := f.Bytes(off, 1); b != nil {
		return b[0]
	}
	return 0
}

// U16At reads the little-endian uint16 at off.
func (f *Reader) U16At(off int64) uint16 {
	if b := f.Bytes(off, flatbuffers.SizeUint16); b != nil {
		return flatbuffers.GetUint16(b)
	}
	return 0
}

// U32At reads the little-endian uint32 at off.
func (f *Reader) U32At(off int64) uint32 {
	if b := f.Bytes(off, flatbuffers.SizeUint32); b != nil {
		return flatbuffers.GetUint32(b)
	}
	return 0
}

// U64At reads the little-endian uint64 at off.
func (f *Reader) U64At(off int64) uint64 {
	if b := f.Bytes(off, flatbuffers.SizeUint64); b != nil {
		return flatbuffers.GetUint64(b)
	}
	return 0
}

// F32At reads the little-endian float32 at off.
func (f *Reader) F32At(off int64) float32 { return math.Float32frombits(f.U32At(off)) }

// Root returns the root table whose offset is stored at byte 0 (or at
// base, for a nested buffer).
func (f *Reader) Root(base int64) (Table, bool) {
	p := f.Follow(base)
	if f.Err != nil {
		return Table{}, false
	}
	return f.TableAt(p)
}

// TableAt checks the table whose start is at pos.
func (f *Reader) TableAt(pos int64) (Table, bool) {
	if !f.Charge(1) {
		return Table{}, false
	}
	soff := int64(int32(f.U32At(pos)))
	vt := pos - soff
	vtLen := int64(f.U16At(vt))
	tbLen := int64(f.U16At(vt + 2))
	if f.Err != nil {
		return Table{}, false
	}
	if vtLen < 4 || vtLen%2 != 0 || tbLen < 4 {
		f.Fail("damaged flatbuffer: table at offset %d has a vtable of %d bytes and %d data bytes", pos, vtLen, tbLen)
		return Table{}, false
	}
	f.Bytes(vt, vtLen)
	f.Bytes(pos, tbLen)
	if f.Err != nil {
		return Table{}, false
	}
	return Table{Pos: pos, VT: vt, VTLen: vtLen, TBLen: tbLen}, true
}

// Has reports whether field slot is present in t.
func (f *Reader) Has(t Table, slot int) bool { return f.Field(t, slot, 0) != 0 }

// Field returns the absolute position of a field of the given size, or 0
// when the field is absent; a field outside the file is an error.
func (f *Reader) Field(t Table, slot int, size int64) int64 {
	if f.Err != nil || t.Pos == 0 {
		return 0
	}
	vo := int64(4 + 2*slot)
	if vo+2 > t.VTLen {
		return 0
	}
	o := int64(f.U16At(t.VT + vo))
	if o == 0 {
		return 0
	}
	// The vtable's inline size is not a bound: the Python flatbuffers
	// builder under-counts tables ending in an 8-byte field, and the
	// flatbuffers verifier only checks that a field lies inside the buffer.
	if o+size > t.TBLen && f.Bytes(t.Pos+o, size) == nil {
		f.Err = nil
		f.Fail("damaged flatbuffer: field %d of the table at offset %d lies outside the file", slot, t.Pos)
		return 0
	}
	return t.Pos + o
}
