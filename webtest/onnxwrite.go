package webtest

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// ONNX protobuf field numbers (onnx.proto3) used by the writer.
const (
	modelIRVersion     = 1
	modelProducerName  = 2
	modelProducerVer   = 3
	modelDocString     = 6
	modelGraph         = 7
	modelOpsetImport   = 8
	modelMetadataProps = 14

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5
	nodeDomain    = 7

	attrName    = 1
	attrF       = 2
	attrI       = 3
	attrS       = 4
	attrG       = 6
	attrFloats  = 7
	attrInts    = 8
	attrStrings = 9
	attrType    = 20

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	valueName = 1
	valueType = 2

	typeTensor      = 1
	tensorElemType  = 1
	tensorShape     = 2
	shapeDim        = 1
	dimValue        = 1
	dimParam        = 2
	ssKey, ssValue  = 1, 2
	attrTypeFloat   = 1
	attrTypeInt     = 2
	attrTypeString  = 3
	attrTypeGraph   = 5
	attrTypeFloats  = 6
	attrTypeInts    = 7
	attrTypeStrings = 8
)

var onnxDType = map[model.DType]uint64{
	"float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7,
	"string": 8, "bool": 9, "float16": 10, "float64": 11,
}

// EncodeONNX writes m as an ONNX ModelProto. data holds the values of the
// float32 initializers that have any (stored as raw_data); initializers
// without data are written with their shape only.
func EncodeONNX(m *model.Model, data map[string][]float32) ([]byte, error) {
	var b []byte
	ir := int64(8)
	if m.Version != "" {
		if _, err := fmt.Sscan(m.Version, &ir); err != nil {
			return nil, fmt.Errorf("model version %q: %w", m.Version, err)
		}
	}
	b = protowire.AppendTag(b, modelIRVersion, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(ir))
	b = appendString(b, modelProducerName, m.Producer)
	b = appendString(b, modelProducerVer, "1")
	if m.Description != "" {
		b = appendString(b, modelDocString, m.Description)
	}
	g, err := encodeGraph(m.Graph, data)
	if err != nil {
		return nil, err
	}
	b = protowire.AppendTag(b, modelGraph, protowire.BytesType)
	b = protowire.AppendBytes(b, g)
	for _, o := range m.Opsets {
		var ob []byte
		ob = appendString(ob, opsetDomain, o.Domain)
		ob = protowire.AppendTag(ob, opsetVersion, protowire.VarintType)
		ob = protowire.AppendVarint(ob, uint64(o.Version))
		b = protowire.AppendTag(b, modelOpsetImport, protowire.BytesType)
		b = protowire.AppendBytes(b, ob)
	}
	keys := make([]string, 0, len(m.Metadata))
	for k := range m.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var kb []byte
		kb = appendString(kb, ssKey, k)
		kb = appendString(kb, ssValue, m.Metadata[k])
		b = protowire.AppendTag(b, modelMetadataProps, protowire.BytesType)
		b = protowire.AppendBytes(b, kb)
	}
	return b, nil
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func encodeGraph(g *model.Graph, data map[string][]float32) ([]byte, error) {
	var b []byte
	for _, n := range g.Nodes {
		nb, err := encodeNode(n, data)
		if err != nil {
			return nil, err
		}
		b = appendMsg(b, graphNode, nb)
	}
	b = appendString(b, graphName, g.Name)
	for _, t := range g.Initializers {
		tb, err := encodeTensor(t, data[t.Name])
		if err != nil {
			return nil, err
		}
		b = appendMsg(b, graphInitializer, tb)
	}
	for _, v := range g.Inputs {
		b = appendMsg(b, graphInput, encodeValue(v))
	}
	for _, v := range g.Outputs {
		b = appendMsg(b, graphOutput, encodeValue(v))
	}
	for _, v := range g.ValueInfo {
		b = appendMsg(b, graphValueInfo, encodeValue(v))
	}
	return b, nil
}

func encodeNode(n *model.Node, data map[string][]float32) ([]byte, error) {
	var b []byte
	for _, in := range n.Inputs {
		b = protowire.AppendTag(b, nodeInput, protowire.BytesType)
		b = protowire.AppendString(b, in)
	}
	for _, out := range n.Outputs {
		b = protowire.AppendTag(b, nodeOutput, protowire.BytesType)
		b = protowire.AppendString(b, out)
	}
	b = appendString(b, nodeName, n.Name)
	b = appendString(b, nodeOpType, n.OpType)
	for _, a := range n.Attrs {
		ab, err := encodeAttr(a, data)
		if err != nil {
			return nil, fmt.Errorf("node %s attribute %s: %w", n.Name, a.Name, err)
		}
		b = appendMsg(b, nodeAttribute, ab)
	}
	b = appendString(b, nodeDomain, n.Domain)
	return b, nil
}

func encodeAttr(a model.Attribute, data map[string][]float32) ([]byte, error) {
	var b []byte
	b = appendString(b, attrName, a.Name)
	var kind uint64
	switch a.Type {
	case model.AttrFloat:
		kind = attrTypeFloat
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(float32(a.Float)))
	case model.AttrInt:
		kind = attrTypeInt
		b = protowire.AppendTag(b, attrI, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.Int))
	case model.AttrString:
		kind = attrTypeString
		b = protowire.AppendTag(b, attrS, protowire.BytesType)
		b = protowire.AppendString(b, a.String)
	case model.AttrGraph:
		kind = attrTypeGraph
		if len(a.Graphs) != 1 {
			return nil, fmt.Errorf("graph attribute needs exactly one graph, has %d", len(a.Graphs))
		}
		gb, err := encodeGraph(a.Graphs[0], data)
		if err != nil {
			return nil, err
		}
		b = appendMsg(b, attrG, gb)
	case model.AttrFloats:
		kind = attrTypeFloats
		var p []byte
		for _, f := range a.Floats {
			p = protowire.AppendFixed32(p, math.Float32bits(float32(f)))
		}
		b = appendMsg(b, attrFloats, p)
	case model.AttrInts:
		kind = attrTypeInts
		var p []byte
		for _, v := range a.Ints {
			p = protowire.AppendVarint(p, uint64(v))
		}
		b = appendMsg(b, attrInts, p)
	case model.AttrStrings:
		kind = attrTypeStrings
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, attrStrings, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	default:
		return nil, fmt.Errorf("attribute type %q is not supported by the writer", a.Type)
	}
	b = protowire.AppendTag(b, attrType, protowire.VarintType)
	b = protowire.AppendVarint(b, kind)
	return b, nil
}

func encodeTensor(t *model.Tensor, values []float32) ([]byte, error) {
	dt, ok := onnxDType[t.DType]
	if !ok {
		return nil, fmt.Errorf("tensor %s: dtype %q is not supported by the writer", t.Name, t.DType)
	}
	var b []byte
	for _, d := range t.Shape {
		b = protowire.AppendTag(b, tensorDims, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, tensorDataType, protowire.VarintType)
	b = protowire.AppendVarint(b, dt)
	b = appendString(b, tensorName, t.Name)
	if values != nil {
		if t.DType != "float32" {
			return nil, fmt.Errorf("tensor %s: data only for float32", t.Name)
		}
		n, ok := model.NumElements(t.Shape)
		if !ok || n != int64(len(values)) {
			return nil, fmt.Errorf("tensor %s: %d values for shape %v", t.Name, len(values), t.Shape)
		}
		raw := make([]byte, 4*len(values))
		for i, v := range values {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		b = protowire.AppendTag(b, tensorRawData, protowire.BytesType)
		b = protowire.AppendBytes(b, raw)
	}
	return b, nil
}

func encodeValue(v *model.Value) []byte {
	var b []byte
	b = appendString(b, valueName, v.Name)
	if v.Type != nil && v.Type.Kind == model.KindTensor {
		var tt []byte
		tt = protowire.AppendTag(tt, tensorElemType, protowire.VarintType)
		tt = protowire.AppendVarint(tt, onnxDType[v.Type.DType])
		if v.Type.Shape != nil {
			var sb []byte
			for _, d := range v.Type.Shape {
				var db []byte
				switch {
				case d.Known:
					db = protowire.AppendTag(db, dimValue, protowire.VarintType)
					db = protowire.AppendVarint(db, uint64(d.Size))
				case d.Param != "":
					db = appendString(db, dimParam, d.Param)
				}
				sb = appendMsg(sb, shapeDim, db)
			}
			tt = appendMsg(tt, tensorShape, sb)
		}
		var ty []byte
		ty = appendMsg(ty, typeTensor, tt)
		b = appendMsg(b, valueType, ty)
	}
	return b
}
