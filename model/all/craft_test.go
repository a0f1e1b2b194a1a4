package all

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"sync"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file builds hostile files by hand: each format's wire encoding is
// a published fact (magic bytes, field numbers, record layouts).

// le is a little-endian byte writer.
type le struct{ bytes.Buffer }

func (w *le) u16(v uint16) { w.Write(binary.LittleEndian.AppendUint16(nil, v)) }
func (w *le) u32(v uint32) { w.Write(binary.LittleEndian.AppendUint32(nil, v)) }
func (w *le) u64(v uint64) { w.Write(binary.LittleEndian.AppendUint64(nil, v)) }

// GGUF: "GGUF", version u32, tensor_count u64, kv_count u64, then
// key/values (key string, type u32, value) and tensor infos (name, n_dims
// u32, dims u64..., type u32, offset u64). Strings are u64 length + bytes.
const (
	ggufUint8  = 0
	ggufUint32 = 4
	ggufString = 8
	ggufArray  = 9
)

func ggufHeader(tensors, kvs uint64) *le {
	w := &le{}
	w.WriteString("GGUF")
	w.u32(3)
	w.u64(tensors)
	w.u64(kvs)
	return w
}

func (w *le) ggufStr(s string) {
	w.u64(uint64(len(s)))
	w.WriteString(s)
}

// ggufNestedArrays is a key whose value is an array of arrays depth deep.
func ggufNestedArrays(depth int) []byte {
	w := ggufHeader(0, 1)
	w.ggufStr("general.nested")
	w.u32(ggufArray)
	w.Grow(depth * 12)
	for range depth - 1 {
		w.u32(ggufArray)
		w.u64(1)
	}
	w.u32(ggufUint8)
	w.u64(0)
	return w.Bytes()
}

// ggufTensor is a file with one tensor info of the given dims and offset.
func ggufTensor(dims []uint64, offset uint64) []byte {
	w := ggufHeader(1, 1)
	w.ggufStr("general.alignment")
	w.u32(ggufUint32)
	w.u32(32)
	w.ggufStr("w")
	w.u32(uint32(len(dims)))
	for _, d := range dims {
		w.u64(d)
	}
	w.u32(0) // F32
	w.u64(offset)
	for w.Len()%32 != 0 {
		w.WriteByte(0)
	}
	w.Write(make([]byte, 64))
	return w.Bytes()
}

// TFLite: a FlatBuffer whose root table is Model (fields: 0 version,
// 1 operator_codes, 2 subgraphs, 3 description, 4 buffers), with the file
// identifier "TFL3" at bytes 4-8. field names which vector's length to
// patch to 0xFFFFFFFF.
func tfliteHugeVector(field string) []byte {
	b := flatbuffers.NewBuilder(256)
	desc := b.CreateString("hostile")
	b.StartObject(0)
	buf := b.EndObject()
	b.StartVector(4, 1, 4)
	b.PrependUOffsetT(buf)
	bufs := b.EndVector(1)
	b.StartVector(4, 0, 4)
	subs := b.EndVector(0)
	b.StartVector(4, 0, 4)
	codes := b.EndVector(0)
	b.StartObject(5)
	b.PrependUint32Slot(0, 3, 0)
	b.PrependUOffsetTSlot(1, codes, 0)
	b.PrependUOffsetTSlot(2, subs, 0)
	b.PrependUOffsetTSlot(3, desc, 0)
	b.PrependUOffsetTSlot(4, bufs, 0)
	root := b.EndObject()
	b.FinishWithFileIdentifier(root, []byte("TFL3"))
	out := append([]byte(nil), b.FinishedBytes()...)
	var at flatbuffers.UOffsetT
	switch field {
	case "subgraphs":
		at = subs
	case "buffers":
		at = bufs
	case "operator_codes":
		at = codes
	case "description":
		at = desc
	}
	binary.LittleEndian.PutUint32(out[len(out)-int(at):], 0xFFFFFFFF)
	return out
}

// ONNX: protobuf. ModelProto 1 ir_version, 7 graph, 8 opset_import;
// GraphProto 1 node, 2 name, 5 initializer; NodeProto 4 op_type,
// 5 attribute; AttributeProto 1 name, 6 g, 20 type (5 = GRAPH);
// TensorProto 1 dims, 2 data_type, 8 name, 9 raw_data;
// OperatorSetIdProto 1 domain, 2 version.

func onnxModel(graph []byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 8)
	opset := protowire.AppendTag(nil, 2, protowire.VarintType)
	opset = protowire.AppendVarint(opset, 17)
	b = protowire.AppendTag(b, 8, protowire.BytesType)
	b = protowire.AppendBytes(b, opset)
	b = protowire.AppendTag(b, 7, protowire.BytesType)
	return protowire.AppendBytes(b, graph)
}

func onnxField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// onnxLyingLength is a model whose graph holds a node field declaring
// 2^63-1 bytes, after 8 KiB of doc string so that the lie lies beyond
// what format detection looks at.
func onnxLyingLength() []byte {
	var g []byte
	g = onnxField(g, 2, []byte("g"))
	g = onnxField(g, 10, bytes.Repeat([]byte("x"), 8<<10))
	g = protowire.AppendTag(g, 1, protowire.BytesType)
	g = protowire.AppendVarint(g, 1<<63-1)
	g = append(g, "xxxx"...)
	return onnxModel(g)
}

// onnxInitializer is a model with one initializer built by tensor.
func onnxInitializer(tensor []byte) []byte {
	var g []byte
	g = onnxField(g, 2, []byte("g"))
	g = onnxField(g, 5, tensor)
	return onnxModel(g)
}

func onnxHugeDims() []byte {
	var t []byte
	for range 3 {
		t = protowire.AppendTag(t, 1, protowire.VarintType)
		t = protowire.AppendVarint(t, 1<<62)
	}
	t = protowire.AppendTag(t, 2, protowire.VarintType)
	t = protowire.AppendVarint(t, 1) // FLOAT
	t = onnxField(t, 8, []byte("w"))
	t = onnxField(t, 9, make([]byte, 16))
	return onnxInitializer(t)
}

func onnxPackedDimsHuge() []byte {
	var t []byte
	t = protowire.AppendTag(t, 2, protowire.VarintType)
	t = protowire.AppendVarint(t, 1)
	t = onnxField(t, 8, []byte("w"))
	t = protowire.AppendTag(t, 1, protowire.BytesType)
	t = protowire.AppendVarint(t, 1<<63)
	t = append(t, 1, 2, 3)
	return onnxInitializer(t)
}

// onnxEmptyNodes is a graph of n empty NodeProtos: 2 bytes each.
func onnxEmptyNodes(n int) []byte {
	g := make([]byte, 0, 2*n+8)
	g = onnxField(g, 2, []byte("g"))
	for range n {
		g = append(g, 0x0a, 0x00)
	}
	return onnxModel(g)
}

// onnxNestedIf nests graphs depth deep, each holding one If node whose
// then_branch attribute is the next graph. Built outside-in with the
// lengths computed inside-out, so it costs O(depth).
func onnxNestedIf(depth int) []byte {
	// Per level: graph{node{op_type "If", attribute{name, type GRAPH, g{...}}}}.
	var attrHead []byte
	attrHead = onnxField(attrHead, 1, []byte("then_branch"))
	attrHead = protowire.AppendTag(attrHead, 20, protowire.VarintType)
	attrHead = protowire.AppendVarint(attrHead, 5)
	nodeHead := onnxField(nil, 4, []byte("If"))
	inner := onnxField(nil, 2, []byte("leaf"))
	// sizes[i] is the size of the graph at level i (level depth-1 = leaf).
	sizes := make([]int, depth)
	sizes[depth-1] = len(inner)
	attrLen := make([]int, depth)
	nodeLen := make([]int, depth)
	for i := depth - 2; i >= 0; i-- {
		g := sizes[i+1]
		a := len(attrHead) + protowire.SizeTag(6) + protowire.SizeBytes(g)
		n := len(nodeHead) + protowire.SizeTag(5) + protowire.SizeBytes(a)
		attrLen[i], nodeLen[i] = a, n
		sizes[i] = protowire.SizeTag(1) + protowire.SizeBytes(n)
	}
	graph := make([]byte, 0, sizes[0])
	for i := 0; i < depth-1; i++ {
		graph = protowire.AppendTag(graph, 1, protowire.BytesType)
		graph = protowire.AppendVarint(graph, uint64(nodeLen[i]))
		graph = append(graph, nodeHead...)
		graph = protowire.AppendTag(graph, 5, protowire.BytesType)
		graph = protowire.AppendVarint(graph, uint64(attrLen[i]))
		graph = append(graph, attrHead...)
		graph = protowire.AppendTag(graph, 6, protowire.BytesType)
		graph = protowire.AppendVarint(graph, uint64(sizes[i+1]))
	}
	graph = append(graph, inner...)
	return onnxModel(graph)
}

// onnxRecursiveFunctions is a model whose graph calls local function f1,
// which calls f2, which calls f1 (FunctionProto: 1 name, 4 input,
// 5 output, 7 node, 10 domain; ModelProto 25 functions).
func onnxRecursiveFunctions() []byte {
	node := func(op string) []byte {
		n := onnxField(nil, 1, []byte("x"))
		n = onnxField(n, 2, []byte("y"))
		n = onnxField(n, 4, []byte(op))
		return onnxField(n, 7, []byte("local"))
	}
	fn := func(name, calls string) []byte {
		f := onnxField(nil, 1, []byte(name))
		f = onnxField(f, 4, []byte("x"))
		f = onnxField(f, 5, []byte("y"))
		f = onnxField(f, 7, node(calls))
		return onnxField(f, 10, []byte("local"))
	}
	g := onnxField(nil, 2, []byte("g"))
	g = onnxField(g, 1, node("f1"))
	m := onnxModel(g)
	m = onnxField(m, 25, fn("f1", "f2"))
	return onnxField(m, 25, fn("f2", "f1"))
}

// safetensors: u64 header length, JSON header, data.
func safetensorsRaw(headerLen uint64, header string, data int) []byte {
	w := &le{}
	w.u64(headerLen)
	w.WriteString(header)
	w.Write(make([]byte, data))
	return w.Bytes()
}

func stFile(header string, data int) []byte {
	return safetensorsRaw(uint64(len(header)), header, data)
}

func deepJSONArray(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// NumPy .npy: "\x93NUMPY", major, minor, header length (u16 for 1.0,
// u32 for 2.0), a Python dict literal padded with spaces and "\n".
func npy(header string, data int) []byte {
	w := &le{}
	w.WriteString("\x93NUMPY\x02\x00")
	h := header
	for (12+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	w.u32(uint32(len(h)))
	w.WriteString(h)
	w.Write(make([]byte, data))
	return w.Bytes()
}

// Pickle opcodes used below: PROTO 0x80, FRAME 0x95, MARK '(',
// EMPTY_LIST ']', APPEND 'a', STOP '.', NONE 'N', POP '0',
// BINUNICODE8 0x8d, EMPTY_DICT '}'.
func pickleMarks(n int) []byte {
	b := []byte{0x80, 0x02}
	b = append(b, bytes.Repeat([]byte{'('}, n)...)
	return append(b, 'N', '.')
}

func pickleNestedLists(n int) []byte {
	b := []byte{0x80, 0x02}
	b = append(b, bytes.Repeat([]byte{']'}, n)...)
	b = append(b, bytes.Repeat([]byte{'a'}, n-1)...)
	return append(b, '.')
}

func pickleManyOps(n int) []byte {
	b := []byte{0x80, 0x02, '}'}
	b = append(b, bytes.Repeat([]byte{'N', '0'}, n/2)...)
	return append(b, '.')
}

func pickleFrameHuge() []byte {
	w := &le{}
	w.Write([]byte{0x80, 0x04, 0x95})
	w.u64(1 << 63)
	w.Write([]byte{'}', '.'})
	return w.Bytes()
}

func pickleUnicode8Huge() []byte {
	w := &le{}
	w.Write([]byte{0x80, 0x04, '(', 0x8d})
	w.u64(1<<63 + 5)
	w.WriteString("abc.")
	return w.Bytes()
}

// zipEntry is one member of a crafted zip archive. raw, when set, is an
// already-deflated body with the given CRC and sizes, which may lie.
type zipEntry struct {
	name   string
	data   []byte
	raw    []byte
	crc    uint32
	usize  uint64
	stored bool
}

func zipArchive(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		var err error
		switch {
		case e.raw != nil:
			var w interface{ Write([]byte) (int, error) }
			w, err = zw.CreateRaw(&zip.FileHeader{
				Name: e.name, Method: zip.Deflate, CRC32: e.crc,
				CompressedSize64: uint64(len(e.raw)), UncompressedSize64: e.usize,
			})
			if err == nil {
				_, err = w.Write(e.raw)
			}
		default:
			method := zip.Deflate
			if e.stored {
				method = zip.Store
			}
			var w interface{ Write([]byte) (int, error) }
			w, err = zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
			if err == nil {
				_, err = w.Write(e.data)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deflatedZeros returns a raw deflate stream that inflates to prefix
// followed by mib MiB of zero bytes, and the CRC-32 of those bytes,
// without compressing them all: after a sync flush a block of zeros
// depends only on a window of zeros, so one compressed MiB can be
// repeated.
func deflatedZeros(t testing.TB, prefix []byte, mib int) ([]byte, uint32) {
	t.Helper()
	zeros := make([]byte, 1<<20)
	var out, seg bytes.Buffer
	fw, err := flate.NewWriter(&seg, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(prefix)
	fw.Flush()
	fw.Write(zeros)
	fw.Flush()
	out.Write(seg.Bytes())
	seg.Reset()
	fw.Write(zeros)
	fw.Flush()
	again := append([]byte(nil), seg.Bytes()...)
	seg.Reset()
	fw.Close()
	tail := seg.Bytes()
	for range mib - 1 {
		out.Write(again)
	}
	out.Write(tail)
	crc := crc32.Update(0, crc32.IEEETable, prefix)
	for range mib {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	return out.Bytes(), crc
}

// The deflated GiB of zeros shared by the zip bombs.
var (
	gibOnce sync.Once
	gibRaw  []byte
	gibCRC  uint32
)

// zipBomb is an entry named name that inflates to 1 GiB of zeros. With
// lie set, its header declares 100 bytes instead.
func zipBomb(t testing.TB, name string, lie bool) zipEntry {
	gibOnce.Do(func() { gibRaw, gibCRC = deflatedZeros(t, nil, 1024) })
	raw, crc := gibRaw, gibCRC
	usize := uint64(1) << 30
	if lie {
		usize = 100
	}
	return zipEntry{name: name, raw: raw, crc: crc, usize: usize}
}

// kerasNestedFunctional is a Keras 3 config whose functional model holds
// a functional model, depth deep.
func kerasNestedFunctional(depth int) []byte {
	open := `{"class_name": "Functional", "config": {"name": "m", "layers": [`
	closeS := `], "input_layers": [], "output_layers": []}}`
	var b strings.Builder
	b.Grow(depth * (len(open) + len(closeS)))
	for range depth {
		b.WriteString(open)
	}
	for range depth {
		b.WriteString(closeS)
	}
	return []byte(b.String())
}

const kerasMetadata = `{"keras_version": "3.0.0", "date_saved": "2024-01-01@00:00:00"}`
