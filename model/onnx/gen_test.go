package onnx

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Helpers that write protobuf messages for generated test models.

func pbBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func pbString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func pbVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// pbLenPrefix appends the tag and length of a bytes field whose content
// (n bytes) follows separately.
func pbLenPrefix(b []byte, num protowire.Number, n int) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendVarint(b, uint64(n))
}

// tensorValueInfo is a ValueInfoProto of a float tensor of the given shape
// (ints or dim_param strings).
func tensorValueInfo(name string, dims ...any) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		switch d := d.(type) {
		case int:
			dim = pbVarint(nil, 1, uint64(d))
		case string:
			dim = pbString(nil, 2, d)
		}
		shape = pbBytes(shape, 1, dim)
	}
	tt := pbVarint(nil, 1, 1)
	tt = pbBytes(tt, 2, shape)
	typ := pbBytes(nil, 1, tt)
	v := pbString(nil, 1, name)
	return pbBytes(v, 2, typ)
}

// modelHeader is the start of a ModelProto, before its graph.
func modelHeader() []byte {
	b := pbVarint(nil, modelIRVersion, 8)
	b = pbString(b, modelProducerName, "modelpeek-test")
	b = pbString(b, modelProducerVer, "1")
	return pbBytes(b, modelOpsetImport, pbVarint(pbString(nil, 1, ""), 2, 17))
}

// chainModel returns a model of n nodes in a chain, each with two inputs,
// one output, a name and an int attribute, and 16 small initializers.
func chainModel(n int) []byte {
	ops := []string{"MatMul", "Add", "Relu", "LayerNormalization", "Softmax", "Transpose", "Reshape", "Mul"}
	var g []byte
	g = pbString(g, graphName, "chain")
	for i := 0; i < 16; i++ {
		t := pbVarint(nil, tensorDims, 4)
		t = pbVarint(t, tensorDims, 4)
		t = pbVarint(t, tensorDataType, 1)
		t = pbString(t, tensorName, fmt.Sprintf("w%d", i))
		t = pbBytes(t, tensorRawData, make([]byte, 64))
		g = pbBytes(g, graphInitializer, t)
	}
	g = pbBytes(g, graphInput, tensorValueInfo("t0", "batch", 4))
	for i := 1; i <= n; i++ {
		node := pbString(nil, nodeInput, fmt.Sprintf("t%d", i-1))
		node = pbString(node, nodeInput, fmt.Sprintf("w%d", i%16))
		node = pbString(node, nodeOutput, fmt.Sprintf("t%d", i))
		node = pbString(node, nodeName, fmt.Sprintf("/blocks.%d/op_%d", i/29, i))
		node = pbString(node, nodeOpType, ops[i%len(ops)])
		attr := pbString(nil, attrName, "axis")
		attr = pbVarint(attr, attrI, 1)
		attr = pbVarint(attr, attrType, atInt)
		node = pbBytes(node, nodeAttribute, attr)
		g = pbBytes(g, graphNode, node)
	}
	g = pbBytes(g, graphOutput, tensorValueInfo(fmt.Sprintf("t%d", n), "batch", 4))
	return pbBytes(modelHeader(), modelGraph, g)
}

// nestedModel returns a model whose graph holds an If node whose branch
// holds an If node, and so on, depth levels deep. It is built in linear
// time: each level is a prefix written before the levels inside it.
func nestedModel(depth int) []byte {
	inner := pbBytes(nil, graphNode, pbString(nil, nodeOpType, "Identity"))
	prefixes := make([][]byte, depth)
	size := len(inner)
	for i := 0; i < depth; i++ {
		// attribute: name, type GRAPH, then g (its content follows)
		attr := pbString(nil, attrName, "then_branch")
		attr = pbVarint(attr, attrType, atGraph)
		attr = pbLenPrefix(attr, attrG, size)
		attrLen := len(attr) + size
		node := pbString(nil, nodeOpType, "If")
		node = pbLenPrefix(node, nodeAttribute, attrLen)
		nodeLen := len(node) + attrLen
		graph := pbLenPrefix(nil, graphNode, nodeLen)
		p := append(graph, node...)
		p = append(p, attr...)
		prefixes[i] = p
		size += len(p)
	}
	out := pbLenPrefix(modelHeader(), modelGraph, size)
	for i := depth - 1; i >= 0; i-- {
		out = append(out, prefixes[i]...)
	}
	return append(out, inner...)
}
