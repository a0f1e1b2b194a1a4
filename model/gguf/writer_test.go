package gguf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"testing"
)

// The helpers below write GGUF headers for tests, independently of the
// decoder: a value is given as a Go value and encoded by its own rules.

// wkv is one metadata entry to write.
type wkv struct {
	key string
	typ ValueType
	val any
}

// warr is an array value to write: its element type and items.
type warr struct {
	elem  ValueType
	items []any
}

// wtensor is one tensor info to write.
type wtensor struct {
	name string
	dims []uint64
	typ  GGMLType
	size uint64 // data bytes reserved for it
}

// spec describes a GGUF file to write.
type spec struct {
	bigEndian bool
	version   uint32
	kvs       []wkv
	tensors   []wtensor
	align     uint64
}

type enc struct {
	w     io.Writer
	order binary.ByteOrder
	n     int64
	err   error
}

func (e *enc) put(v any) {
	if e.err != nil {
		return
	}
	e.err = binary.Write(e.w, e.order, v)
	e.n += int64(binary.Size(v))
}

func (e *enc) str(s string) {
	e.put(uint64(len(s)))
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
		e.n += int64(len(s))
	}
}

func (e *enc) value(t ValueType, v any) {
	switch t {
	case TypeUint8:
		e.put(v.(uint8))
	case TypeInt8:
		e.put(v.(int8))
	case TypeUint16:
		e.put(v.(uint16))
	case TypeInt16:
		e.put(v.(int16))
	case TypeUint32:
		e.put(v.(uint32))
	case TypeInt32:
		e.put(v.(int32))
	case TypeFloat32:
		e.put(math.Float32bits(v.(float32)))
	case TypeBool:
		b := uint8(0)
		if v.(bool) {
			b = 1
		}
		e.put(b)
	case TypeString:
		e.str(v.(string))
	case TypeArray:
		a := v.(warr)
		e.put(uint32(a.elem))
		e.put(uint64(len(a.items)))
		for _, it := range a.items {
			e.value(a.elem, it)
		}
	case TypeUint64:
		e.put(v.(uint64))
	case TypeInt64:
		e.put(v.(int64))
	case TypeFloat64:
		e.put(math.Float64bits(v.(float64)))
	default:
		e.err = fmt.Errorf("test writer: type %d", t)
	}
}

// write writes the header to w and returns the header length (aligned) and
// the total file size the tensors need.
func (s spec) write(w io.Writer) (header, total int64, err error) {
	e := &enc{w: w, order: binary.LittleEndian}
	if s.bigEndian {
		e.order = binary.BigEndian
	}
	if _, err := io.WriteString(w, "GGUF"); err != nil {
		return 0, 0, err
	}
	e.n = 4
	v := s.version
	if v == 0 {
		v = 3
	}
	align := s.align
	if align == 0 {
		align = 32
	}
	e.put(v)
	e.put(uint64(len(s.tensors)))
	e.put(uint64(len(s.kvs)))
	for _, kv := range s.kvs {
		e.str(kv.key)
		e.put(uint32(kv.typ))
		e.value(kv.typ, kv.val)
	}
	var off uint64
	for _, t := range s.tensors {
		e.str(t.name)
		e.put(uint32(len(t.dims)))
		for _, d := range t.dims {
			e.put(d)
		}
		e.put(uint32(t.typ))
		e.put(off)
		off += (t.size + align - 1) / align * align
	}
	pad := (align - uint64(e.n)%align) % align
	e.put(make([]byte, pad))
	return e.n, e.n + int64(off), e.err
}

// bytes returns the whole file: header and zeroed tensor data.
func (s spec) bytes(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	_, total, err := s.write(&b)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(make([]byte, total-int64(b.Len())))
	return b.Bytes()
}

// file writes the header to path and extends the file to its full size
// with a hole, so a file of many gigabytes takes a few megabytes of disk.
func (s spec) file(t testing.TB, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	_, total, err := s.write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Truncate(total)
	}
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// tensorBytes is the data size of a tensor, from the block geometry
// written out here again for the tests.
func tensorBytes(dims []uint64, blockElems, blockBytes uint64) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	return n / blockElems * blockBytes
}
