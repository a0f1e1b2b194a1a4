package coreml

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func strField(num int, s string) []byte { return msg(protoNum(num), []byte(s)) }

// mapField is one entry of a map<string, message> field.
func mapField(num int, key string, value []byte) []byte {
	return msg(protoNum(num), cat(strField(1, key), msg(2, value)))
}

// tensorValueType is a MIL ValueType of a tensor of dtype (MIL DataType)
// and shape.
func tensorValueType(dtype uint64, shape ...uint64) []byte {
	tt := cat(varintField(1, dtype), varintField(2, uint64(len(shape))))
	for _, d := range shape {
		tt = append(tt, msg(3, msg(1, varintField(1, d)))...)
	}
	return msg(1, tt)
}

func namedValueType(num int, name string, vt []byte) []byte {
	return msg(protoNum(num), cat(strField(1, name), msg(2, vt)))
}

// milOp is an Operation: type, named inputs, one output, attributes and
// nested blocks.
func milOp(typ, out string, vt []byte, inputs map[string]string, attrs map[string][]byte, blocks ...[]byte) []byte {
	op := strField(1, typ)
	for k, v := range inputs {
		op = append(op, mapField(2, k, msg(1, strField(1, v)))...)
	}
	op = append(op, namedValueType(3, out, vt)...)
	for _, b := range blocks {
		op = append(op, msg(4, b)...)
	}
	for k, v := range attrs {
		op = append(op, mapField(5, k, v)...)
	}
	return msg(3, op)
}

func stringValue(s string) []byte {
	return cat(msg(2, tensorValueType(2)), msg(3, msg(1, msg(4, strField(1, s)))))
}

// craftedProgram is an ML Program with an inline const, a cond with two
// blocks and a constexpr operation whose data is a blob.
func craftedProgram() []byte {
	vt4 := tensorValueType(11, 4)
	floats := make([]byte, 0, 16)
	for _, v := range []float32{1, 2, 3, 4} {
		floats = binary.LittleEndian.AppendUint32(floats, math.Float32bits(v))
	}
	constVal := cat(msg(2, vt4), msg(3, msg(1, msg(1, msg(1, floats)))))
	blob := cat(msg(2, tensorValueType(21, 4)), msg(5, cat(strField(1, "@model_path/weights/weight.bin"), varintField(2, 64))))
	relu := cat(milOp("relu", "a", vt4, map[string]string{"x": "c"}, nil), strField(2, "a"))
	sigm := cat(milOp("sigmoid", "b", vt4, map[string]string{"x": "c"}, nil), strField(2, "b"))
	block := cat(
		milOp("const", "c", vt4, nil, map[string][]byte{"val": constVal, "name": stringValue("c_op")}),
		milOp("cond", "y", vt4, map[string]string{"pred": "p"}, nil, relu, sigm),
		milOp("constexpr_affine_dequantize", "q", vt4, nil, map[string][]byte{"quantized_data": blob}),
		strField(2, "y"),
	)
	fn := cat(namedValueType(1, "p", tensorValueType(1)), strField(2, "CoreML7"), mapField(3, "CoreML7", block))
	prog := cat(varintField(1, 1), mapField(2, "main", fn))
	feature := func(num int, name string) []byte {
		return msg(protoNum(num), cat(strField(1, name), msg(3, msg(5, cat(msg(1, []byte{4}), varintField(2, 65568))))))
	}
	desc := cat(feature(1, "p"), feature(10, "y"))
	return cat(varintField(1, 7), msg(2, desc), msg(typeMLProgram, prog))
}

// TestCraftedProgram checks nested blocks, an inline const located in the
// spec and a constexpr blob shown as a tensor attribute.
func TestCraftedProgram(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "weights"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "weights", "weight.bin"), blobFileBytes(make([]float32, 4)))
	p := filepath.Join(dir, "model.mlmodel")
	writeFile(t, p, craftedProgram())
	m, err := Open(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	if len(g.Nodes) != 3 || g.Nodes[0].Name != "c_op" || g.Nodes[1].Inputs[0] != "p" {
		t.Fatalf("nodes %+v", g.Nodes)
	}
	if bs := g.Nodes[1].Subgraphs(); len(bs) != 2 || bs[0].Nodes[0].OpType != "relu" || bs[1].Outputs[0].Name != "b" {
		t.Fatalf("cond blocks %+v", bs)
	}
	c := g.Initializers[0]
	pv, err := model.ReadPreview(c, 4)
	if err != nil || pv.Values[3] != 4 {
		t.Fatalf("inline const %+v %+v: %v %v", c, c.Location, pv, err)
	}
	q := g.Nodes[2].Attrs[0]
	if q.Type != model.AttrTensor || q.Tensors[0].Name != "q/quantized_data" || q.Tensors[0].Location.Offset != 128 {
		t.Fatalf("constexpr attribute %+v", q)
	}
	if s := model.Summarize(m); s.Nodes != 5 || len(s.Tensors) != 1 || m.Facts["opset"] != "CoreML7" {
		t.Errorf("summary %+v", s)
	}
}
