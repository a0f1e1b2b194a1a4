package reload

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// ONNX protobuf field numbers (onnx.proto3) used by chainModel.
const (
	fModelIRVersion    = 1
	fModelProducerName = 2
	fModelGraph        = 7
	fModelOpsetImport  = 8

	fOpsetDomain  = 1
	fOpsetVersion = 2

	fGraphNode   = 1
	fGraphName   = 2
	fGraphInput  = 11
	fGraphOutput = 12

	fNodeInput  = 1
	fNodeOutput = 2
	fNodeName   = 3
	fNodeOpType = 4

	fValueName = 1
	fValueType = 2

	fTypeTensor      = 1
	fTensorElemType  = 1
	fTensorShape     = 2
	fShapeDim        = 1
	fDimValue        = 1
	elemTypeFloat    = 1
	onnxIRVersion    = 8
	onnxOpsetVersion = 13
)

// chainModel returns the bytes of a valid ONNX model whose graph is a
// chain of n Relu nodes named relu_0 … relu_{n-1}, from the graph input X
// to the graph output Y (both float [1, 8]). Each extra node keeps every
// earlier node as it was, so the only difference between chainModel(n)
// and chainModel(n+1) is the added node relu_n.
func chainModel(n int) []byte {
	var g []byte
	for i := 0; i < n; i++ {
		in := "X"
		if i > 0 {
			in = fmt.Sprintf("t%d", i-1)
		}
		out := fmt.Sprintf("t%d", i)
		if i == n-1 {
			out = "Y"
		}
		var node []byte
		node = appendString(node, fNodeInput, in)
		node = appendString(node, fNodeOutput, out)
		node = appendString(node, fNodeName, fmt.Sprintf("relu_%d", i))
		node = appendString(node, fNodeOpType, "Relu")
		g = appendBytes(g, fGraphNode, node)
	}
	g = appendString(g, fGraphName, "chain")
	g = appendBytes(g, fGraphInput, valueInfo("X"))
	g = appendBytes(g, fGraphOutput, valueInfo("Y"))

	var opset []byte
	opset = appendString(opset, fOpsetDomain, "")
	opset = protowire.AppendTag(opset, fOpsetVersion, protowire.VarintType)
	opset = protowire.AppendVarint(opset, onnxOpsetVersion)

	var m []byte
	m = protowire.AppendTag(m, fModelIRVersion, protowire.VarintType)
	m = protowire.AppendVarint(m, onnxIRVersion)
	m = appendString(m, fModelProducerName, "reloadtest")
	m = appendBytes(m, fModelGraph, g)
	m = appendBytes(m, fModelOpsetImport, opset)
	return m
}

// valueInfo is a ValueInfoProto for a float tensor of shape [1, 8].
func valueInfo(name string) []byte {
	var shape []byte
	for _, d := range []uint64{1, 8} {
		var dim []byte
		dim = protowire.AppendTag(dim, fDimValue, protowire.VarintType)
		dim = protowire.AppendVarint(dim, d)
		shape = appendBytes(shape, fShapeDim, dim)
	}
	var tensor []byte
	tensor = protowire.AppendTag(tensor, fTensorElemType, protowire.VarintType)
	tensor = protowire.AppendVarint(tensor, elemTypeFloat)
	tensor = appendBytes(tensor, fTensorShape, shape)
	var typ []byte
	typ = appendBytes(typ, fTypeTensor, tensor)
	var v []byte
	v = appendString(v, fValueName, name)
	v = appendBytes(v, fValueType, typ)
	return v
}

func appendString(b []byte, field protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, field protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}
