package tflite

import (
	"context"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

// The types below describe a TFLite model to build with the flatbuffers
// Go builder, for tests: valid models, and models to damage afterwards.

type bOpcode struct {
	deprecated int8
	builtin    int32
	custom     string
}

type bTensor struct {
	name   string
	shape  []int32
	typ    int8
	buffer uint32
}

type bOp struct {
	opcode          uint32
	inputs, outputs []int32
	optType         uint8 // BuiltinOptions union type; 0 for none
	opts            []int32
	opts2Type       uint8 // BuiltinOptions2 union type
	opts2           []int32
}

type bSubgraph struct {
	name            string
	tensors         []bTensor
	inputs, outputs []int32
	ops             []bOp
}

type bBuffer struct {
	data         []byte
	offset, size uint64
}

type bModel struct {
	description string
	opcodes     []bOpcode
	subgraphs   []bSubgraph
	buffers     []bBuffer
	identifier  string // default "TFL3"
}

func int32Vector(b *flatbuffers.Builder, v []int32) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(v[i])
	}
	return b.EndVector(len(v))
}

func offsetVector(b *flatbuffers.Builder, v []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUOffsetT(v[i])
	}
	return b.EndVector(len(v))
}

// intTable builds a table whose fields are the given int32 values, in
// slot order (an options table such as WhileOptions).
func intTable(b *flatbuffers.Builder, v []int32) flatbuffers.UOffsetT {
	b.StartObject(len(v))
	for i, x := range v {
		b.PrependInt32Slot(i, x, -1<<31)
	}
	return b.EndObject()
}

func (m bModel) build() []byte {
	b := flatbuffers.NewBuilder(1024)
	var codes []flatbuffers.UOffsetT
	for _, oc := range m.opcodes {
		var custom flatbuffers.UOffsetT
		if oc.custom != "" {
			custom = b.CreateString(oc.custom)
		}
		b.StartObject(4)
		b.PrependInt8Slot(opcodeDeprecated, oc.deprecated, 0)
		if custom != 0 {
			b.PrependUOffsetTSlot(opcodeCustom, custom, 0)
		}
		b.PrependInt32Slot(opcodeVersion, 1, 1)
		b.PrependInt32Slot(opcodeBuiltin, oc.builtin, 0)
		codes = append(codes, b.EndObject())
	}
	var sgs []flatbuffers.UOffsetT
	for _, sg := range m.subgraphs {
		var tensors, ops []flatbuffers.UOffsetT
		for _, t := range sg.tensors {
			name := b.CreateString(t.name)
			shape := int32Vector(b, t.shape)
			b.StartObject(9)
			b.PrependUOffsetTSlot(tensorShape, shape, 0)
			b.PrependInt8Slot(tensorType, t.typ, 0)
			b.PrependUint32Slot(tensorBuffer, t.buffer, 0)
			b.PrependUOffsetTSlot(tensorName, name, 0)
			tensors = append(tensors, b.EndObject())
		}
		for _, op := range sg.ops {
			in, out := int32Vector(b, op.inputs), int32Vector(b, op.outputs)
			var opts, opts2 flatbuffers.UOffsetT
			if op.optType != 0 {
				opts = intTable(b, op.opts)
			}
			if op.opts2Type != 0 {
				opts2 = intTable(b, op.opts2)
			}
			b.StartObject(14)
			b.PrependUint32Slot(opOpcodeIndex, op.opcode, 0)
			b.PrependUOffsetTSlot(opInputs, in, 0)
			b.PrependUOffsetTSlot(opOutputs, out, 0)
			if opts != 0 {
				b.PrependUint8Slot(opBuiltinType, op.optType, 0)
				b.PrependUOffsetTSlot(opBuiltinOptions, opts, 0)
			}
			if opts2 != 0 {
				b.PrependUint8Slot(opBuiltin2Type, op.opts2Type, 0)
				b.PrependUOffsetTSlot(opBuiltin2Options, opts2, 0)
			}
			ops = append(ops, b.EndObject())
		}
		tv, ov := offsetVector(b, tensors), offsetVector(b, ops)
		iv, outv := int32Vector(b, sg.inputs), int32Vector(b, sg.outputs)
		name := b.CreateString(sg.name)
		b.StartObject(5)
		b.PrependUOffsetTSlot(subgraphTensors, tv, 0)
		b.PrependUOffsetTSlot(subgraphInputs, iv, 0)
		b.PrependUOffsetTSlot(subgraphOutputs, outv, 0)
		b.PrependUOffsetTSlot(subgraphOperators, ov, 0)
		b.PrependUOffsetTSlot(subgraphName, name, 0)
		sgs = append(sgs, b.EndObject())
	}
	var bufs []flatbuffers.UOffsetT
	for _, buf := range m.buffers {
		var data flatbuffers.UOffsetT
		if buf.data != nil {
			data = b.CreateByteVector(buf.data)
		}
		b.StartObject(3)
		if data != 0 {
			b.PrependUOffsetTSlot(bufferData, data, 0)
		}
		b.PrependUint64Slot(bufferOffset, buf.offset, 0)
		b.PrependUint64Slot(bufferSize, buf.size, 0)
		bufs = append(bufs, b.EndObject())
	}
	cv, sv, bv := offsetVector(b, codes), offsetVector(b, sgs), offsetVector(b, bufs)
	desc := b.CreateString(m.description)
	b.StartObject(8)
	b.PrependUint32Slot(modelVersion, 3, 0)
	b.PrependUOffsetTSlot(modelOperatorCodes, cv, 0)
	b.PrependUOffsetTSlot(modelSubgraphs, sv, 0)
	b.PrependUOffsetTSlot(modelDescription, desc, 0)
	b.PrependUOffsetTSlot(modelBuffers, bv, 0)
	root := b.EndObject()
	id := m.identifier
	if id == "" {
		id = "TFL3"
	}
	b.FinishWithFileIdentifier(root, []byte(id))
	return b.FinishedBytes()
}

// decodeBytes decodes an in-memory model.
func decodeBytes(data []byte, path string) (*decoded, error) {
	src := flatbuf.FromBytes(data)
	return decode(context.Background(), src, path)
}

// simpleModel is one subgraph: out = ADD(in, weight), with the weight in
// buffer 1.
func simpleModel() bModel {
	return bModel{
		description: "test model",
		opcodes:     []bOpcode{{builtin: 0}},
		subgraphs: []bSubgraph{{
			name: "main",
			tensors: []bTensor{
				{"in", []int32{1, 4}, 0, 0}, {"weight", []int32{4}, 0, 1}, {"out", []int32{1, 4}, 0, 0},
			},
			inputs: []int32{0}, outputs: []int32{2},
			ops: []bOp{{opcode: 0, inputs: []int32{0, 1}, outputs: []int32{2}, optType: 11, opts: []int32{1}}},
		}},
		buffers: []bBuffer{{}, {data: make([]byte, 16)}},
	}
}

func TestBuilderRoundTrip(t *testing.T) {
	out, err := decodeBytes(simpleModel().build(), "/m.tflite")
	if err != nil {
		t.Fatal(err)
	}
	g := out.m.Graph
	if len(g.Nodes) != 1 || g.Nodes[0].OpType != "ADD" || len(g.Initializers) != 1 || g.Initializers[0].Location.Length != 16 {
		t.Fatalf("round trip: %+v", g)
	}
	if a := g.Nodes[0].Attrs[0]; a.Name != "fused_activation_function" || a.String != "RELU" {
		t.Errorf("AddOptions attribute %+v", a)
	}
}
