package flatbuf

import (
	"math"

	flatbuffers "github.com/google/flatbuffers/go"
)

// Uint8 reads a ubyte/byte/enum field, def when absent.
func (f *Reader) Uint8(t Table, slot int, def uint8) uint8 {
	if p := f.Field(t, slot, 1); p != 0 {
		return f.U8At(p)
	}
	return def
}

// Bool reads a bool field, def when absent.
func (f *Reader) Bool(t Table, slot int, def bool) bool {
	if p := f.Field(t, slot, 1); p != 0 {
		return f.U8At(p) != 0
	}
	return def
}

// Int16 reads a short field, def when absent.
func (f *Reader) Int16(t Table, slot int, def int16) int16 {
	if p := f.Field(t, slot, 2); p != 0 {
		return int16(f.U16At(p))
	}
	return def
}

// Int32 reads an int field, def when absent.
func (f *Reader) Int32(t Table, slot int, def int32) int32 {
	if p := f.Field(t, slot, 4); p != 0 {
		return int32(f.U32At(p))
	}
	return def
}

// Uint32 reads a uint field, def when absent.
func (f *Reader) Uint32(t Table, slot int, def uint32) uint32 {
	if p := f.Field(t, slot, 4); p != 0 {
		return f.U32At(p)
	}
	return def
}

// Uint64 reads a ulong field, 0 when absent.
func (f *Reader) Uint64(t Table, slot int) uint64 {
	if p := f.Field(t, slot, 8); p != 0 {
		return f.U64At(p)
	}
	return 0
}

// Int64 reads a long field, 0 when absent.
func (f *Reader) Int64(t Table, slot int) int64 { return int64(f.Uint64(t, slot)) }

// Float32 reads a float field, def when absent.
func (f *Reader) Float32(t Table, slot int, def float32) float32 {
	if p := f.Field(t, slot, 4); p != 0 {
		return math.Float32frombits(f.U32At(p))
	}
	return def
}

// Ref follows the offset stored in a field; 0 when absent.
func (f *Reader) Ref(t Table, slot int) int64 {
	p := f.Field(t, slot, flatbuffers.SizeUOffsetT)
	if p == 0 {
		return 0
	}
	return f.Follow(p)
}

// Follow reads the unsigned offset at p and returns its target.
func (f *Reader) Follow(p int64) int64 {
	target := p + int64(f.U32At(p))
	if f.Err == nil && target >= f.Src.Size() {
		f.Fail("damaged flatbuffer: offset at %d points past the end of the file", p)
		return 0
	}
	return target
}

// Sub returns the table a field refers to; false when absent or damaged.
func (f *Reader) Sub(t Table, slot int) (Table, bool) {
	p := f.Ref(t, slot)
	if p == 0 {
		return Table{}, false
	}
	return f.TableAt(p)
}

// Vector returns the position of the first element and the length of a
// vector field of elemSize-byte elements, checked against the file.
func (f *Reader) Vector(t Table, slot int, elemSize int64) (int64, int64) {
	p := f.Ref(t, slot)
	if p == 0 {
		return 0, 0
	}
	return f.VectorAt(p, elemSize)
}

// VectorAt checks the vector whose length prefix is at p.
func (f *Reader) VectorAt(p, elemSize int64) (int64, int64) {
	n := int64(f.U32At(p))
	if f.Err != nil {
		return 0, 0
	}
	if n > (f.Src.Size()-p-4)/elemSize {
		f.Fail("damaged flatbuffer: vector at offset %d declares %d elements, more than the file holds", p, n)
		return 0, 0
	}
	return p + 4, n
}

// TableVector returns the element positions of a vector of tables (or
// strings); callers check each with Elem or StrElem.
func (f *Reader) TableVector(t Table, slot int) (int64, int64) {
	return f.Vector(t, slot, flatbuffers.SizeUOffsetT)
}

// Elem returns element i of a vector of tables starting at start.
func (f *Reader) Elem(start, i int64) (Table, bool) {
	p := start + 4*i
	return f.TableAt(f.Follow(p))
}

// StrElem returns element i of a vector of strings starting at start.
func (f *Reader) StrElem(start, i int64) string {
	return f.StrAt(f.Follow(start + 4*i))
}

// Str reads a string field; absent strings are "".
func (f *Reader) Str(t Table, slot int) string {
	p := f.Ref(t, slot)
	if p == 0 {
		return ""
	}
	return f.StrAt(p)
}

// StrAt reads the string whose length prefix is at p, cut at MaxString.
func (f *Reader) StrAt(p int64) string {
	n := int64(f.U32At(p))
	if f.Err != nil {
		return ""
	}
	if n > f.Src.Size()-p-4 {
		f.Fail("damaged flatbuffer: string at offset %d is longer than the file", p)
		return ""
	}
	k := min(n, MaxString)
	if !f.Charge(k + 1) {
		return ""
	}
	b := f.Bytes(p+4, k)
	if k < n {
		return string(b) + "…"
	}
	return string(b)
}

// Int32s reads a vector of int32, at most limit elements kept (the length
// is returned in full); false when absent or damaged.
func (f *Reader) Int32s(t Table, slot int, limit int64) ([]int64, int64, bool) {
	start, n := f.Vector(t, slot, 4)
	if f.Err != nil || start == 0 {
		return nil, 0, false
	}
	v := f.readInts(start, n, limit, 4)
	if f.Err != nil {
		return nil, 0, false
	}
	return v, n, true
}

// Int64s reads a vector of int64 like Int32s.
func (f *Reader) Int64s(t Table, slot int, limit int64) ([]int64, int64, bool) {
	start, n := f.Vector(t, slot, 8)
	if f.Err != nil || start == 0 {
		return nil, 0, false
	}
	v := f.readInts(start, n, limit, 8)
	if f.Err != nil {
		return nil, 0, false
	}
	return v, n, true
}

func (f *Reader) readInts(start, n, limit, size int64) []int64 {
	k := min(n, limit)
	if !f.Charge(8*k + 1) {
		return nil
	}
	out := make([]int64, k)
	for i := range out {
		if size == 8 {
			out[i] = int64(f.U64At(start + 8*int64(i)))
		} else {
			out[i] = int64(int32(f.U32At(start + 4*int64(i))))
		}
	}
	return out
}
