package tflite

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// controlModel has a WHILE in subgraph 0 using subgraphs 1 (cond) and 2
// (body); the body holds a WHILE that refers to itself and to subgraph 1
// again, subgraph 3 is referenced by nobody, and the op codes exercise the
// deprecated_builtin_code rule and a custom op.
func controlModel() bModel {
	scalar := func(name string) bTensor { return bTensor{name, nil, 2, 0} }
	return bModel{
		opcodes: []bOpcode{
			{deprecated: 119, builtin: 0},    // WHILE, old writer: byte field only
			{deprecated: 127, builtin: 206},  // STABLEHLO_COMPOSITE: int32 field only
			{deprecated: 32, custom: "MyOp"}, // custom
			{deprecated: 3, builtin: 3},      // CONV_2D, both fields
			{deprecated: 0, builtin: 58},     // LESS, new writer: int32 only
		},
		subgraphs: []bSubgraph{
			{name: "main", tensors: []bTensor{scalar("x"), scalar("y")}, inputs: []int32{0}, outputs: []int32{1},
				ops: []bOp{{opcode: 0, inputs: []int32{0}, outputs: []int32{1}, optType: 93, opts: []int32{1, 2}}}},
			{name: "cond", tensors: []bTensor{scalar("a"), scalar("c")}, inputs: []int32{0}, outputs: []int32{1},
				ops: []bOp{{opcode: 4, inputs: []int32{0, 0}, outputs: []int32{1}}}},
			{name: "body", tensors: []bTensor{scalar("a"), scalar("b"), scalar("a")}, inputs: []int32{0}, outputs: []int32{1},
				ops: []bOp{
					{opcode: 0, inputs: []int32{0}, outputs: []int32{1}, optType: 93, opts: []int32{1, 2}},
					{opcode: 1, inputs: []int32{1}, outputs: []int32{2}, opts2Type: 21, opts2: []int32{0, 3}},
					{opcode: 2, inputs: []int32{-1, 0}, outputs: []int32{2}},
				}},
			{name: "unused", tensors: []bTensor{scalar("q")}, inputs: []int32{0}, outputs: []int32{0},
				ops: []bOp{{opcode: 3, inputs: []int32{0}, outputs: []int32{0}}}},
		},
		buffers: []bBuffer{{}},
	}
}

func TestSubgraphLinks(t *testing.T) {
	out, err := decodeBytes(controlModel().build(), "/c.tflite")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, oc := range out.dec.opcodes {
		names = append(names, oc.name)
	}
	if got := strings.Join(names, " "); got != "WHILE STABLEHLO_COMPOSITE CUSTOM:MyOp CONV_2D LESS" {
		t.Errorf("operator codes %s", got)
	}
	m := out.m
	w := m.Graph.Nodes[0]
	subs := w.Subgraphs()
	if len(subs) != 2 || subs[0].Name != "cond" || subs[1].Name != "body" {
		t.Fatalf("WHILE subgraphs %v", subs)
	}
	body := subs[1]
	// The inner WHILE refers to cond (already attached) and to body
	// itself: neither is attached again, so the structure stays a tree.
	if inner := body.Nodes[0]; len(inner.Subgraphs()) != 0 {
		t.Errorf("inner WHILE links %d subgraphs, want none", len(inner.Subgraphs()))
	}
	if comp := body.Nodes[1]; len(comp.Subgraphs()) != 1 || comp.Subgraphs()[0].Name != "unused" {
		t.Errorf("composite links %v", comp.Subgraphs())
	} else if len(m.Functions) != 0 {
		t.Errorf("functions %d, want 0 (the composite reaches subgraph 3)", len(m.Functions))
	}
	if n := model.CountNodes(m.Graph); n != 1+1+3+1 {
		t.Errorf("%d nodes in all, want 6", n)
	}
	custom := body.Nodes[2]
	if custom.Inputs[0] != "" || custom.Category != "custom" || custom.Outputs[0] != "a#2" {
		t.Errorf("custom node %+v", custom)
	}
}

// TestLargeModelBuffers checks the >2 GB form of buffers (absolute offset
// and size after the flatbuffer) on a sparse 3 GB file, and the checked
// addition on an offset that wraps.
func TestLargeModelBuffers(t *testing.T) {
	const offset = 3 << 30
	m := simpleModel()
	m.buffers[1] = bBuffer{offset: offset, size: 16}
	data := m.build()
	path := filepath.Join(t.TempDir(), "big.tflite")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err == nil {
		err = f.Truncate(offset + 16)
	}
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	loc := mod.Graph.Initializers[0].Location
	if loc.Offset != offset || loc.Length != 16 || loc.File != path || loc.Encoding != model.EncRaw {
		t.Errorf("location %+v", loc)
	}
	m.buffers[1] = bBuffer{offset: math.MaxUint64 - 8, size: 16}
	if _, err := decodeBytes(m.build(), "/w.tflite"); err == nil || !strings.Contains(err.Error(), "outside the file") {
		t.Errorf("wrapping buffer offset: %v", err)
	}
}

// patch returns a copy of data with a little-endian uint32 written at off.
func patch(data []byte, off int64, v uint32) []byte {
	b := bytes.Clone(data)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

// TestHostileFlatbuffers damages valid models in the ways that make the
// flatbuffers runtime panic, and expects clear errors.
func TestHostileFlatbuffers(t *testing.T) {
	good := simpleModel().build()
	d := flatbuf.NewReader(flatbuf.FromBytes(good), 1<<20)
	root := int64(d.U32At(0))
	mt, _ := d.TableAt(root)
	sgVec := d.Ref(mt, modelSubgraphs)
	sg0, _ := d.Elem(sgVec+4, 0)
	tVec := d.Ref(sg0, subgraphTensors)
	t0, _ := d.Elem(tVec+4, 0)
	nameRef := d.Ref(t0, tensorName)
	opVec := d.Ref(sg0, subgraphOperators)
	op0, _ := d.Elem(opVec+4, 0)
	opInVec := d.Ref(op0, opInputs)
	if d.Err != nil || opInVec == 0 || nameRef == 0 {
		t.Fatalf("locating fields: %v", d.Err)
	}
	badBuffer := simpleModel()
	badBuffer.subgraphs[0].tensors[1].buffer = 99
	badOpcode := simpleModel()
	badOpcode.subgraphs[0].ops[0].opcode = 5

	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"7 bytes", []byte("\x08\x00\x00\x00TFL"), "too short"},
		{"root past end", []byte("\x18\x00\x00\x00TFL3"), "root offset 24 is out of range"},
		{"wrong identifier", patch(good, 4, 0x34334c54), "not a TFLite model"},
		{"vtable out of range", patch(good, root, 0x7fffffff), "outside the file"},
		{"vtable negative", patch(good, root, 0x80000000), "outside the file"},
		{"subgraph vector length", patch(good, sgVec, math.MaxUint32), "declares 4294967295 elements"},
		{"tensor vector length", patch(good, tVec, 1<<30), "declares 1073741824 elements"},
		{"string past end", patch(good, nameRef, math.MaxUint32), "string at offset"},
		{"offset past end", patch(good, tVec+4, 1<<30), "points past the end"},
		{"buffer index", badBuffer.build(), "refers to buffer 99 but the model has 2 buffers"},
		{"operator input", patch(good, opInVec+4, 7), "refers to tensor 7, but the subgraph has 3 tensors"},
		{"opcode index", badOpcode.build(), "opcode index 5 is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeBytes(c.data, "/h.tflite")
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestSharedTables makes every entry of a huge tensor vector point at the
// same tensor table: the work budget stops it long before it allocates
// per entry.
func TestSharedTables(t *testing.T) {
	good := simpleModel().build()
	d := flatbuf.NewReader(flatbuf.FromBytes(good), 1<<20)
	mt, _ := d.TableAt(int64(d.U32At(0)))
	sg0, _ := d.Elem(d.Ref(mt, modelSubgraphs)+4, 0)
	tVec := d.Ref(sg0, subgraphTensors)
	target := tVec + 4 + int64(d.U32At(tVec+4))
	// Append a vector of n offsets, all to tensor 0, and point the
	// subgraph's tensors field at it.
	const n = 500_000
	data := bytes.Clone(good)
	for len(data)%4 != 0 {
		data = append(data, 0)
	}
	vec := int64(len(data))
	data = binary.LittleEndian.AppendUint32(data, n)
	for i := int64(0); i < n; i++ {
		p := vec + 4 + 4*i
		data = binary.LittleEndian.AppendUint32(data, uint32(target-p))
	}
	field := d.Field(sg0, subgraphTensors, 4)
	binary.LittleEndian.PutUint32(data[field:], uint32(vec-field))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decodeBytes(data, "/s.tflite")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "too large or repeats") {
		t.Errorf("shared tables: %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16*uint64(len(data))+1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte file", d, len(data))
	}
}

// TestTruncatedPrefixes decodes every prefix of a few corpus files: no
// prefix may panic, and a prefix that cuts the root table must fail.
func TestTruncatedPrefixes(t *testing.T) {
	dir := testenv.Corpus(t)
	for _, name := range []string{"litert/multi_subgraphs_while.tflite", "litert/sparse_tensor.tflite", "tflite-micro/hello_world_int8.tflite", "litert/call_once_mul.tflite"} {
		b, err := os.ReadFile(filepath.Join(dir, "tflite", name))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			_, err := decodeBytes(b[:n:n], "/p.tflite")
			if err == nil && n < 16 {
				t.Fatalf("%s: prefix of %d bytes decoded", name, n)
			}
		}
	}
}

// TestCanceled: a canceled context stops the decode.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data := controlModel().build()
	if _, err := decode(ctx, flatbuf.FromBytes(data), "/c.tflite"); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
