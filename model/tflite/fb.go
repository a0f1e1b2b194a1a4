package tflite

import (
	"errors"
	"fmt"
	"math"

	flatbuffers "github.com/google/flatbuffers/go"
)

// The flatbuffers Go runtime trusts its input and panics on a bad offset
// (by design). This file reads the same wire format with every offset,
// vtable and vector length checked against the file size first, and uses
// the runtime only to decode the checked bytes.

// fb reads flatbuffer values from a source. The first problem is kept in
// err and every later read returns zero values, so decoding code reads
// straight through and checks err at the end of each table.
type fb struct {
	src *source
	err error
	// budget is the work left: vector elements and table visits. Shared
	// sub-tables referenced from many places cannot blow up the decode.
	budget int64
}

// table is a checked flatbuffer table: its position, its vtable position,
// and the vtable and inline-table lengths.
type table struct {
	pos, vt      int64
	vtLen, tbLen int64
}

var errBudget = errors.New("the model is too large or repeats its structures too often to show")

func (f *fb) fail(format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf(format, args...)
	}
}

func (f *fb) charge(n int64) bool {
	if f.err != nil {
		return false
	}
	f.budget -= n
	if f.budget < 0 {
		f.err = errBudget
		return false
	}
	return true
}

func (f *fb) bytes(off, n int64) []byte {
	if f.err != nil {
		return nil
	}
	b, err := f.src.at(off, n)
	if err != nil {
		f.err = err
		return nil
	}
	return b
}

func (f *fb) u8(off int64) uint8 {
	if b := f.bytes(off, 1); b != nil {
		return b[0]
	}
	return 0
}

func (f *fb) u16(off int64) uint16 {
	if b := f.bytes(off, flatbuffers.SizeUint16); b != nil {
		return flatbuffers.GetUint16(b)
	}
	return 0
}

func (f *fb) u32(off int64) uint32 {
	if b := f.bytes(off, flatbuffers.SizeUint32); b != nil {
		return flatbuffers.GetUint32(b)
	}
	return 0
}

func (f *fb) u64(off int64) uint64 {
	if b := f.bytes(off, flatbuffers.SizeUint64); b != nil {
		return flatbuffers.GetUint64(b)
	}
	return 0
}

// tableAt checks the table whose start is at pos.
func (f *fb) tableAt(pos int64) (table, bool) {
	if !f.charge(1) {
		return table{}, false
	}
	soff := int64(int32(f.u32(pos)))
	vt := pos - soff
	vtLen := int64(f.u16(vt))
	tbLen := int64(f.u16(vt + 2))
	if f.err != nil {
		return table{}, false
	}
	if vtLen < 4 || vtLen%2 != 0 || tbLen < 4 {
		f.fail("damaged flatbuffer: table at offset %d has a vtable of %d bytes and %d data bytes", pos, vtLen, tbLen)
		return table{}, false
	}
	f.bytes(vt, vtLen)
	f.bytes(pos, tbLen)
	if f.err != nil {
		return table{}, false
	}
	return table{pos: pos, vt: vt, vtLen: vtLen, tbLen: tbLen}, true
}

// field returns the absolute position of a field of the given size, or 0
// when the field is absent.
func (f *fb) field(t table, slot int, size int64) int64 {
	if f.err != nil || t.pos == 0 {
		return 0
	}
	vo := int64(4 + 2*slot)
	if vo+2 > t.vtLen {
		return 0
	}
	o := int64(f.u16(t.vt + vo))
	if o == 0 {
		return 0
	}
	if o+size > t.tbLen {
		f.fail("damaged flatbuffer: field %d of the table at offset %d lies outside it", slot, t.pos)
		return 0
	}
	return t.pos + o
}

func (f *fb) fU8(t table, slot int, def uint8) uint8 {
	if p := f.field(t, slot, 1); p != 0 {
		return f.u8(p)
	}
	return def
}

func (f *fb) fBool(t table, slot int, def bool) bool {
	if p := f.field(t, slot, 1); p != 0 {
		return f.u8(p) != 0
	}
	return def
}

func (f *fb) fI32(t table, slot int, def int32) int32 {
	if p := f.field(t, slot, 4); p != 0 {
		return int32(f.u32(p))
	}
	return def
}

func (f *fb) fU32(t table, slot int, def uint32) uint32 {
	if p := f.field(t, slot, 4); p != 0 {
		return f.u32(p)
	}
	return def
}

func (f *fb) fU64(t table, slot int) uint64 {
	if p := f.field(t, slot, 8); p != 0 {
		return f.u64(p)
	}
	return 0
}

func (f *fb) fI64(t table, slot int) int64 { return int64(f.fU64(t, slot)) }

func (f *fb) fF32(t table, slot int, def float32) float32 {
	if p := f.field(t, slot, 4); p != 0 {
		return math.Float32frombits(f.u32(p))
	}
	return def
}

// ref follows the offset stored in a field; 0 when absent.
func (f *fb) ref(t table, slot int) int64 {
	p := f.field(t, slot, flatbuffers.SizeUOffsetT)
	if p == 0 {
		return 0
	}
	return f.follow(p)
}

// follow reads the unsigned offset at p and returns its target.
func (f *fb) follow(p int64) int64 {
	target := p + int64(f.u32(p))
	if f.err == nil && target >= f.src.size {
		f.fail("damaged flatbuffer: offset at %d points past the end of the file", p)
		return 0
	}
	return target
}

// sub returns the table a field refers to.
func (f *fb) sub(t table, slot int) (table, bool) {
	p := f.ref(t, slot)
	if p == 0 {
		return table{}, false
	}
	return f.tableAt(p)
}

// vector returns the position of the first element and the length of a
// vector field of elemSize-byte elements, checked against the file.
func (f *fb) vector(t table, slot int, elemSize int64) (int64, int64) {
	p := f.ref(t, slot)
	if p == 0 {
		return 0, 0
	}
	n := int64(f.u32(p))
	if f.err != nil {
		return 0, 0
	}
	if n > (f.src.size-p-4)/elemSize {
		f.fail("damaged flatbuffer: vector at offset %d declares %d elements, more than the file holds", p, n)
		return 0, 0
	}
	return p + 4, n
}

// tableVector returns the element positions of a vector of tables; callers
// check each with tableAt.
func (f *fb) tableVector(t table, slot int) (int64, int64) {
	return f.vector(t, slot, flatbuffers.SizeUOffsetT)
}

// elemTable returns element i of a vector of tables.
func (f *fb) elemTable(start, i int64) (table, bool) {
	p := start + 4*i
	return f.tableAt(f.follow(p))
}

// maxString bounds the strings kept (names, descriptions); longer ones are
// cut and marked.
const maxString = 64 << 10

// str reads a string field; absent strings are "".
func (f *fb) str(t table, slot int) string {
	p := f.ref(t, slot)
	if p == 0 {
		return ""
	}
	return f.strAt(p)
}

func (f *fb) strAt(p int64) string {
	n := int64(f.u32(p))
	if f.err != nil {
		return ""
	}
	if n > f.src.size-p-4 {
		f.fail("damaged flatbuffer: string at offset %d is longer than the file", p)
		return ""
	}
	k := min(n, maxString)
	if !f.charge(k + 1) {
		return ""
	}
	b := f.bytes(p+4, k)
	if k < n {
		return string(b) + "…"
	}
	return string(b)
}

// ints reads a vector of int32, at most limit elements kept (the length is
// returned in full).
func (f *fb) ints(t table, slot int, limit int64) ([]int64, int64, bool) {
	start, n := f.vector(t, slot, 4)
	if f.err != nil || start == 0 {
		return nil, 0, false
	}
	k := min(n, limit)
	if !f.charge(8*k + 1) {
		return nil, 0, false
	}
	out := make([]int64, k)
	for i := range out {
		out[i] = int64(int32(f.u32(start + 4*int64(i))))
	}
	return out, n, true
}

func (f *fb) f32at(off int64) float32 { return math.Float32frombits(f.u32(off)) }
