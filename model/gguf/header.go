package gguf

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// Limits applied to every file before anything is allocated.
const (
	maxTensors     = 1_000_000
	maxKVs         = 1_000_000
	maxKeyLen      = 64 << 10
	maxStringLen   = 64 << 20
	maxArrayLen    = 1 << 32
	maxDepth       = 4
	maxDims        = 4
	maxAlignment   = 1 << 20
	defaultAlign   = 32
	MaxStringKeep  = 64 << 10 // bytes of one string value kept in memory
	ArrayKeep      = 64       // leading array items kept in memory
	readBufferSize = 256 << 10
)

// Header is the decoded head of a GGUF file: metadata and tensor infos.
type Header struct {
	Version   uint32
	BigEndian bool
	KVs       []KV
	Tensors   []TensorInfo
	// Alignment is general.alignment, or 32.
	Alignment int64
	// DataOffset is where the tensor data section starts.
	DataOffset int64
	// Size is the file size.
	Size int64
}

// KV is one metadata key/value.
type KV struct {
	Key   string
	Value Value
}

// TensorInfo describes one tensor: its name, dimensions in GGUF ne order
// (ne[0] is the row length), type, and where its bytes are.
type TensorInfo struct {
	Name string
	Dims []int64
	Type GGMLType
	// Offset is relative to the data section.
	Offset uint64
	// Elements and Bytes are the element count and byte length.
	Elements int64
	Bytes    int64
}

// Lookup returns the value of key and whether it is present.
func (h *Header) Lookup(key string) (*Value, bool) {
	for i := range h.KVs {
		if h.KVs[i].Key == key {
			return &h.KVs[i].Value, true
		}
	}
	return nil, false
}

// window asks the value reader to keep items [from, from+n) of the array
// stored under key, instead of the first ArrayKeep.
type window struct {
	key  string
	from uint64
	n    uint64
}

// ReadHeader decodes the GGUF header from r, a stream of a file of the
// given size positioned at its start. It reads only the header: metadata
// and tensor infos, never tensor data.
func ReadHeader(ctx context.Context, r io.Reader, size int64) (*Header, error) {
	return readHeader(ctx, r, size, nil)
}

func readHeader(ctx context.Context, src io.Reader, size int64, win *window) (*Header, error) {
	br, ok := src.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(src, readBufferSize)
	}
	r := &reader{r: br, order: binary.LittleEndian, size: size}
	h, err := readPreamble(r, size)
	if err != nil {
		return nil, err
	}
	nTensors, nKV, err := readCounts(r, size)
	if err != nil {
		return nil, err
	}
	if err := readKVs(ctx, r, h, nKV, win); err != nil {
		return nil, err
	}
	if err := h.setAlignment(); err != nil {
		return nil, err
	}
	if err := readTensorInfos(ctx, r, h, nTensors); err != nil {
		return nil, err
	}
	h.DataOffset = alignUp(r.pos, h.Alignment)
	for i := range h.Tensors {
		t := &h.Tensors[i]
		end, ok := addInt64(h.DataOffset, t.Offset, t.Bytes)
		if !ok || end > size {
			return nil, fmt.Errorf("tensor %q data (%d bytes at offset %d after the header's end %d) lies outside the file of %d bytes: the file is truncated or damaged", t.Name, t.Bytes, t.Offset, h.DataOffset, size)
		}
	}
	return h, nil
}

// readPreamble reads the magic and the version, which also tells the
// byte order (a big-endian file's version reads byte-swapped).
func readPreamble(r *reader, size int64) (*Header, error) {
	magic, err := r.fill(4)
	if err != nil {
		return nil, err
	}
	if string(magic) != "GGUF" && string(magic) != "FUGG" {
		return nil, fmt.Errorf("not a GGUF file (magic %q)", magic)
	}
	version, err := r.u32()
	if err != nil {
		return nil, err
	}
	h := &Header{Size: size, Alignment: defaultAlign}
	if version&0xFFFF == 0 && version != 0 {
		version = bits.ReverseBytes32(version)
		r.order, h.BigEndian = binary.BigEndian, true
	}
	h.Version = version
	switch version {
	case 2, 3:
		return h, nil
	case 1:
		return nil, fmt.Errorf("unsupported GGUF version 1 (an early 2023 draft; convert the file with a current llama.cpp)")
	default:
		return nil, fmt.Errorf("unsupported GGUF version %d", version)
	}
}

// readCounts reads the tensor and metadata counts and refuses counts the
// rest of the file cannot hold.
func readCounts(r *reader, size int64) (nTensors, nKV uint64, err error) {
	if nTensors, err = r.u64(); err != nil {
		return 0, 0, err
	}
	if nKV, err = r.u64(); err != nil {
		return 0, 0, err
	}
	// A tensor info takes at least 8+4+8+4+8 bytes, a key/value at least 8+1+4+1.
	if nTensors > maxTensors || nTensors > uint64(r.remaining())/32 {
		return 0, 0, fmt.Errorf("tensor count %d is impossible for a file of %d bytes (limit %d)", nTensors, size, maxTensors)
	}
	if nKV > maxKVs || nKV > uint64(r.remaining())/14 {
		return 0, 0, fmt.Errorf("metadata count %d is impossible for a file of %d bytes (limit %d)", nKV, size, maxKVs)
	}
	return nTensors, nKV, nil
}

// readKVs reads the nKV metadata key/value pairs into h; the value of
// win's key (if any) is read through win.
func readKVs(ctx context.Context, r *reader, h *Header, nKV uint64, win *window) error {
	h.KVs = make([]KV, 0, nKV)
	seen := make(map[string]bool, nKV)
	for i := uint64(0); i < nKV; i++ {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		at := r.pos
		key, _, err := r.str(maxKeyLen, maxKeyLen)
		if err != nil {
			return fmt.Errorf("metadata key %d: %w", i, err)
		}
		if key == "" {
			return fmt.Errorf("metadata key %d at offset %d is empty", i, at)
		}
		if seen[key] {
			return fmt.Errorf("metadata key %q appears twice", key)
		}
		seen[key] = true
		t, err := r.u32()
		if err != nil {
			return fmt.Errorf("metadata %q: %w", key, err)
		}
		var w *window
		if win != nil && win.key == key {
			w = win
		}
		v, err := readValue(r, ValueType(t), 0, w)
		if err != nil {
			return fmt.Errorf("metadata %q: %w", key, err)
		}
		h.KVs = append(h.KVs, KV{Key: key, Value: v})
	}
	return nil
}

// setAlignment takes general.alignment when the metadata sets it: a
// power of two up to maxAlignment.
func (h *Header) setAlignment() error {
	v, ok := h.Lookup("general.alignment")
	if !ok {
		return nil
	}
	a, isInt := v.AsInt()
	if !isInt || v.Type == TypeArray {
		return fmt.Errorf("general.alignment has type %s, expected UINT32", v.Type)
	}
	if a <= 0 || a > maxAlignment || a&(a-1) != 0 {
		return fmt.Errorf("general.alignment %d is not a power of two up to %d", a, maxAlignment)
	}
	h.Alignment = a
	return nil
}

func readTensorInfos(ctx context.Context, r *reader, h *Header, n uint64) error {
	h.Tensors = make([]TensorInfo, 0, n)
	seen := make(map[string]bool, n)
	for i := uint64(0); i < n; i++ {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		name, _, err := r.str(maxKeyLen, maxKeyLen)
		if err != nil {
			return fmt.Errorf("tensor %d name: %w", i, err)
		}
		if seen[name] {
			return fmt.Errorf("tensor name %q appears twice", name)
		}
		seen[name] = true
		t := TensorInfo{Name: name}
		nd, err := r.u32()
		if err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		if nd == 0 || nd > maxDims {
			return fmt.Errorf("tensor %q has %d dimensions (ggml allows 1 to %d)", name, nd, maxDims)
		}
		t.Dims = make([]int64, nd)
		for j := range t.Dims {
			d, err := r.u64()
			if err != nil {
				return fmt.Errorf("tensor %q: %w", name, err)
			}
			if d == 0 || d > math.MaxInt64 {
				return fmt.Errorf("tensor %q dimension %d is %d", name, j, d)
			}
			t.Dims[j] = int64(d)
		}
		ne, ok := numElements(t.Dims)
		if !ok {
			return fmt.Errorf("tensor %q shape %v has more elements than fit in 64 bits", name, t.Dims)
		}
		t.Elements = ne
		typ, err := r.u32()
		if err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		t.Type = GGMLType(typ)
		if t.Bytes, err = t.Type.byteSize(t.Dims[0], ne); err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		if t.Offset, err = r.u64(); err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		h.Tensors = append(h.Tensors, t)
	}
	return nil
}

// readValue reads one value of type t. depth counts enclosing arrays.
func readValue(r *reader, t ValueType, depth int, w *window) (Value, error) {
	v := Value{Type: t}
	switch t {
	case TypeUint8, TypeBool:
		x, err := r.u8()
		v.Uint, v.Bool = uint64(x), x != 0
		if t == TypeBool {
			v.Uint = 0
		}
		return v, err
	case TypeInt8:
		x, err := r.u8()
		v.Int = int64(int8(x))
		return v, err
	case TypeUint16:
		x, err := r.u16()
		v.Uint = uint64(x)
		return v, err
	case TypeInt16:
		x, err := r.u16()
		v.Int = int64(int16(x))
		return v, err
	case TypeUint32:
		x, err := r.u32()
		v.Uint = uint64(x)
		return v, err
	case TypeInt32:
		x, err := r.u32()
		v.Int = int64(int32(x))
		return v, err
	case TypeFloat32:
		x, err := r.u32()
		v.Float = float64(math.Float32frombits(x))
		return v, err
	case TypeUint64:
		x, err := r.u64()
		v.Uint = x
		return v, err
	case TypeInt64:
		x, err := r.u64()
		v.Int = int64(x)
		return v, err
	case TypeFloat64:
		x, err := r.u64()
		v.Float = math.Float64frombits(x)
		return v, err
	case TypeString:
		s, n, err := r.str(maxStringLen, MaxStringKeep)
		v.Str, v.StrLen = s, n
		return v, err
	case TypeArray:
		return readArray(r, depth, w, ArrayKeep)
	}
	return v, fmt.Errorf("at offset %d: unknown value type %d", r.pos-4, uint32(t))
}

// readArray reads an array, keeping at most keep leading items (or the
// window's items).
func readArray(r *reader, depth int, w *window, keep uint64) (Value, error) {
	v := Value{Type: TypeArray}
	if depth >= maxDepth {
		return v, fmt.Errorf("at offset %d: arrays nested more than %d deep", r.pos, maxDepth)
	}
	et, err := r.u32()
	if err != nil {
		return v, err
	}
	v.ElemType = ValueType(et)
	at := r.pos
	n, err := r.u64()
	if err != nil {
		return v, err
	}
	v.Len = n
	ms := v.ElemType.minSize()
	if ms < 0 {
		return v, fmt.Errorf("at offset %d: unknown array element type %d", at-4, et)
	}
	if n > maxArrayLen || (ms > 0 && n > uint64(r.remaining())/uint64(ms)) {
		return v, fmt.Errorf("at offset %d: array of %d %s items cannot fit in the %d bytes left: %w", at, n, v.ElemType, r.remaining(), errTruncated)
	}
	from := uint64(0)
	if w != nil && depth == 0 {
		from, keep = min(w.from, n), w.n
	}
	end := from + min(keep, n-from)
	v.ItemsFrom = from
	if fs := v.ElemType.fixedSize(); fs > 0 {
		// Fixed-size items: skip straight to the window, read it, skip the rest.
		if err := r.skip(from * uint64(fs)); err != nil {
			return v, err
		}
		v.Items = make([]Value, 0, end-from)
		for i := from; i < end; i++ {
			it, err := readValue(r, v.ElemType, depth+1, nil)
			if err != nil {
				return v, err
			}
			v.Items = append(v.Items, it)
		}
		return v, r.skip((n - end) * uint64(fs))
	}
	v.Items = make([]Value, 0, end-from)
	if v.ElemType == TypeString {
		return v, readStrings(r, &v, from, end, depth)
	}
	for i := uint64(0); i < n; i++ {
		if i < from || i >= end {
			if err := skipValue(r, v.ElemType, depth+1); err != nil {
				return v, err
			}
			continue
		}
		it, err := readValue(r, v.ElemType, depth+1, nil)
		if err != nil {
			return v, err
		}
		v.Items = append(v.Items, it)
	}
	return v, nil
}

// readStrings reads the items of a string array, keeping [from, end).
func readStrings(r *reader, v *Value, from, end uint64, depth int) error {
	if err := r.skipStrings(from); err != nil {
		return err
	}
	for i := from; i < end; i++ {
		it, err := readValue(r, TypeString, depth+1, nil)
		if err != nil {
			return err
		}
		v.Items = append(v.Items, it)
	}
	return r.skipStrings(v.Len - end)
}

// skipValue passes over one value without keeping it.
func skipValue(r *reader, t ValueType, depth int) error {
	if fs := t.fixedSize(); fs > 0 {
		return r.skip(uint64(fs))
	}
	switch t {
	case TypeString:
		return r.skipString()
	case TypeArray:
		_, err := readArray(r, depth, nil, 0)
		return err
	}
	return fmt.Errorf("at offset %d: unknown value type %d", r.pos, uint32(t))
}

func numElements(dims []int64) (int64, bool) {
	n := int64(1)
	for _, d := range dims {
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		n = int64(lo)
	}
	return n, true
}

func alignUp(x, a int64) int64 {
	if r := x % a; r != 0 {
		return x + a - r
	}
	return x
}

// addInt64 returns base+off+n and whether it stayed within int64.
func addInt64(base int64, off uint64, n int64) (int64, bool) {
	if off > math.MaxInt64 || base < 0 || n < 0 {
		return 0, false
	}
	s := base + int64(off)
	if s < base || s > math.MaxInt64-n {
		return 0, false
	}
	return s + n, true
}
