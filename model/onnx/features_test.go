package onnx

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// typeProto helpers for the feature model.
func tensorTypeProto(dtype uint64, dims ...any) []byte {
	tt := pbVarint(nil, 1, dtype)
	if dims != nil {
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
		tt = pbBytes(tt, 2, shape)
	}
	return pbBytes(nil, typeTensor, tt)
}

func valueInfo(name string, typ []byte) []byte {
	return pbBytes(pbString(nil, 1, name), 2, typ)
}

func attrProto(name string, typ uint64, fields ...[]byte) []byte {
	a := pbString(nil, attrName, name)
	for _, f := range fields {
		a = append(a, f...)
	}
	return pbVarint(a, attrType, typ)
}

func float32Field(num protowire.Number, v float32) []byte {
	b := protowire.AppendTag(nil, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, math.Float32bits(v))
}

func packed(num protowire.Number, vals ...uint64) []byte {
	var p []byte
	for _, v := range vals {
		p = protowire.AppendVarint(p, v)
	}
	return pbBytes(nil, num, p)
}

// featureModel uses every part of ModelProto the decoder covers.
func featureModel() []byte {
	ni := func(v int64) uint64 { return uint64(v) }
	rawTensor := pbVarint(pbVarint(nil, tensorDims, 2), tensorDataType, 1)
	rawTensor = pbString(rawTensor, tensorName, "raw")
	raw := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(-1))
	rawTensor = pbBytes(rawTensor, tensorRawData, raw)

	floatData := pbVarint(packed(tensorDims, 3), tensorDataType, 1)
	floatData = pbString(floatData, tensorName, "float_data")
	var fd []byte
	for _, v := range []float32{1, 2, 3} {
		fd = binary.LittleEndian.AppendUint32(fd, math.Float32bits(v))
	}
	floatData = pbBytes(floatData, tensorFloatData, fd)

	unpacked := pbVarint(pbVarint(nil, tensorDims, 2), tensorDataType, 1)
	unpacked = pbString(unpacked, tensorName, "unpacked")
	unpacked = append(unpacked, float32Field(tensorFloatData, 4)...)
	unpacked = append(unpacked, float32Field(tensorFloatData, 5)...)

	int64Data := pbVarint(pbVarint(nil, tensorDims, 2), tensorDataType, 7)
	int64Data = pbString(int64Data, tensorName, "int64_data")
	int64Data = append(int64Data, packed(tensorInt64Data, ni(-5), 7)...)

	strData := pbVarint(pbVarint(nil, tensorDims, 1), tensorDataType, 8)
	strData = pbString(strData, tensorName, "strings")
	strData = pbString(strData, tensorStringData, "hello")

	sparseValues := pbVarint(pbVarint(nil, tensorDims, 2), tensorDataType, 1)
	sparseValues = pbString(sparseValues, tensorName, "sparse")
	sparseValues = pbBytes(sparseValues, tensorRawData, raw)
	sparseIdx := pbVarint(pbVarint(nil, tensorDims, 2), tensorDataType, 7)
	sparseIdx = append(sparseIdx, packed(tensorInt64Data, 1, 3)...)
	sparse := pbBytes(nil, 1, sparseValues)
	sparse = pbBytes(sparse, 2, sparseIdx)
	sparse = append(sparse, packed(3, 2, 2)...)

	thenBranch := pbBytes(nil, graphNode, pbString(pbString(nil, nodeOpType, "Identity"), nodeOutput, "a"))
	thenBranch = pbString(thenBranch, graphName, "then")
	thenBranch = pbBytes(thenBranch, graphOutput, valueInfo("a", tensorTypeProto(1)))

	node1 := pbString(nil, nodeOpType, "If")
	node1 = pbString(node1, nodeName, "if")
	node1 = pbString(node1, nodeInput, "cond")
	node1 = pbString(node1, nodeOutput, "y")
	node1 = pbBytes(node1, nodeAttribute, attrProto("then_branch", atGraph, pbBytes(nil, attrG, thenBranch)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("branches", atGraphs, pbBytes(nil, attrGraphs, thenBranch), pbBytes(nil, attrGraphs, thenBranch)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("f", atFloat, float32Field(attrF, 0.5)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("i", atInt, pbVarint(nil, attrI, ni(-3))))
	node1 = pbBytes(node1, nodeAttribute, attrProto("s", atString, pbString(nil, attrS, "text")))
	node1 = pbBytes(node1, nodeAttribute, attrProto("t", atTensor, pbBytes(nil, attrT, rawTensor)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("floats", atFloats, float32Field(attrFloats, 1), float32Field(attrFloats, 2)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("ints", atInts, packed(attrInts, 1, 2, 3)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("strings", atStrings, pbString(nil, attrStrings, "a"), pbString(nil, attrStrings, "b")))
	node1 = pbBytes(node1, nodeAttribute, attrProto("tensors", atTensors, pbBytes(nil, attrTensors, rawTensor), pbBytes(nil, attrTensors, floatData)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("sparse", atSparseTensor, pbBytes(nil, attrSparseTensor, sparse)))
	node1 = pbBytes(node1, nodeAttribute, attrProto("tp", atTypeProto, pbBytes(nil, attrTP, tensorTypeProto(10, "n"))))
	node1 = pbBytes(node1, nodeAttribute, attrProto("tps", atTypeProtos, pbBytes(nil, attrTypeProtos, tensorTypeProto(1)), pbBytes(nil, attrTypeProtos, tensorTypeProto(7))))
	node1 = pbBytes(node1, nodeAttribute, pbVarint(pbString(nil, attrName, "untyped"), attrI, 9)) // IR v1: no type field

	node2 := pbString(nil, nodeOpType, "FusedMatMul")
	node2 = pbString(node2, nodeDomain, "com.microsoft")
	node2 = pbString(node2, nodeInput, "y")
	node2 = pbString(node2, nodeInput, "")
	node2 = pbString(node2, nodeOutput, "z")
	node3 := pbString(nil, nodeOpType, "Relu")
	node3 = pbString(node3, nodeDomain, "ai.onnx")
	node3 = pbString(node3, nodeInput, "z")
	node3 = pbString(node3, nodeOutput, "out")

	g := pbString(nil, graphName, "features")
	g = pbString(g, graphDoc, "graph doc")
	for _, n := range [][]byte{node1, node2, node3} {
		g = pbBytes(g, graphNode, n)
	}
	for _, tn := range [][]byte{rawTensor, floatData, unpacked, int64Data, strData} {
		g = pbBytes(g, graphInitializer, tn)
	}
	g = pbBytes(g, graphSparseInit, sparse)
	seq := pbBytes(nil, typeSequence, pbBytes(nil, 1, tensorTypeProto(1, "n", 3)))
	mapT := pbBytes(nil, typeMap, pbBytes(pbVarint(nil, 1, 7), 2, tensorTypeProto(1)))
	opt := pbBytes(nil, typeOptional, pbBytes(nil, 1, seq))
	sparseT := pbBytes(nil, typeSparse, pbBytes(pbVarint(nil, 1, 1), 2, pbBytes(pbBytes(nil, 1, pbVarint(nil, 1, 10)), 1, nil)))
	g = pbBytes(g, graphInput, valueInfo("cond", tensorTypeProto(9)))
	g = pbBytes(g, graphInput, valueInfo("seq", seq))
	g = pbBytes(g, graphInput, valueInfo("map", mapT))
	g = pbBytes(g, graphInput, valueInfo("opt", opt))
	g = pbBytes(g, graphInput, valueInfo("sparse_in", sparseT))
	g = pbBytes(g, graphInput, valueInfo("bf16", tensorTypeProto(16, "batch", 0, 7)))
	g = pbBytes(g, graphInput, valueInfo("f8", tensorTypeProto(17)))
	g = pbBytes(g, graphInput, valueInfo("untyped", nil))
	g = pbBytes(g, graphOutput, valueInfo("out", tensorTypeProto(1, "batch")))
	g = pbBytes(g, graphValueInfo, valueInfo("y", tensorTypeProto(1)))

	fn := pbString(nil, funcName, "Scale")
	fn = pbString(fn, funcDomain, "custom")
	fn = pbString(fn, funcInput, "X")
	fn = pbString(fn, funcOutput, "Y")
	fn = pbString(fn, funcAttribute, "alpha")
	fnNode := pbString(nil, nodeOpType, "Mul")
	fnNode = pbString(fnNode, nodeInput, "X")
	fnNode = pbString(fnNode, nodeOutput, "Y")
	fnNode = pbBytes(fnNode, nodeAttribute, pbVarint(pbString(pbString(nil, attrName, "value"), attrRefAttrName, "alpha"), attrType, atFloat))
	fn = pbBytes(fn, funcNode, fnNode)
	fn = pbBytes(fn, funcOpset, pbVarint(pbString(nil, 1, ""), 2, 17))

	training := pbBytes(nil, 1, pbBytes(pbString(nil, graphName, "init"), graphNode, pbString(nil, nodeOpType, "RandomNormal")))
	training = pbBytes(training, 2, pbBytes(pbString(nil, graphName, "step"), graphNode, pbString(nil, nodeOpType, "Sub")))

	m := pbVarint(nil, modelIRVersion, 9)
	m = pbString(m, modelProducerName, "modelpeek-test")
	m = pbString(m, modelProducerVer, "")
	m = pbString(m, modelDomain, "org.example")
	m = pbVarint(m, modelModelVersion, 42)
	m = pbString(m, modelDoc, "model doc")
	m = pbBytes(m, modelGraph, g)
	m = pbBytes(m, modelOpsetImport, pbVarint(pbString(nil, 1, "ai.onnx"), 2, 18))
	m = pbBytes(m, modelOpsetImport, pbVarint(pbString(nil, 1, "com.microsoft"), 2, 1))
	m = pbBytes(m, modelMetadataProps, pbString(pbString(nil, 1, "author"), 2, "me"))
	m = pbBytes(m, modelTrainingInfo, training)
	m = pbBytes(m, modelFunctions, fn)
	return m
}

// TestFeatureModel decodes a model using every covered feature and checks
// it against python3-onnx and in detail.
func TestFeatureModel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "features.onnx")
	if err := os.WriteFile(path, featureModel(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	facts := loadFacts(t, dir)
	if d := checkModel(t, m, facts[path]); len(d) > 0 {
		t.Errorf("differs from python3-onnx:\n%v", d)
	}
	if m.Version != "9" || m.Description != "model doc" || m.Producer != "modelpeek-test" || m.Graph.Doc != "graph doc" {
		t.Errorf("header: %+v", m)
	}
	if len(m.Opsets) != 2 || m.Opsets[0].Domain != "" || m.Opsets[0].Version != 18 {
		t.Errorf("opsets %+v", m.Opsets)
	}
	props := map[string]string{}
	for _, p := range m.Properties {
		props[p.Name] = p.Value
	}
	if props["domain"] != "org.example" || props["model version"] != "42" || props["training graphs"] != "2" {
		t.Errorf("properties %v", props)
	}
	if len(m.Functions) != 3 || m.Functions[0].Name != "custom::Scale" || m.Functions[1].Name != "training 0 initialization: init" || m.Functions[2].Nodes[0].OpType != "Sub" {
		t.Errorf("functions %+v", m.Functions)
	}
	if a := m.Functions[0].Nodes[0].Attrs[0]; a.Type != model.AttrFloat || a.RefName != "alpha" {
		t.Errorf("reference attribute %+v", a)
	}
	attrs := map[string]model.Attribute{}
	for _, a := range m.Graph.Nodes[0].Attrs {
		attrs[a.Name] = a
	}
	check := func(name string, ok bool) {
		if !ok {
			t.Errorf("attribute %s: %+v", name, attrs[name])
		}
	}
	check("then_branch", attrs["then_branch"].Type == model.AttrGraph && len(attrs["then_branch"].Graphs) == 1 && attrs["then_branch"].Graphs[0].Name == "then")
	check("branches", attrs["branches"].Type == model.AttrGraphs && len(attrs["branches"].Graphs) == 2)
	check("f", attrs["f"].Type == model.AttrFloat && attrs["f"].Float == 0.5)
	check("i", attrs["i"].Type == model.AttrInt && attrs["i"].Int == -3)
	check("s", attrs["s"].Type == model.AttrString && attrs["s"].String == "text")
	check("t", attrs["t"].Type == model.AttrTensor && attrs["t"].Tensors[0].Name == "raw")
	check("floats", attrs["floats"].Type == model.AttrFloats && len(attrs["floats"].Floats) == 2 && attrs["floats"].Floats[1] == 2)
	check("ints", attrs["ints"].Type == model.AttrInts && len(attrs["ints"].Ints) == 3)
	check("strings", attrs["strings"].Type == model.AttrStrings && attrs["strings"].Strings[1] == "b")
	check("tensors", attrs["tensors"].Type == model.AttrTensors && len(attrs["tensors"].Tensors) == 2)
	check("sparse", attrs["sparse"].Type == model.AttrTensor && attrs["sparse"].Tensors[0].Sparse)
	check("tp", attrs["tp"].Type == model.AttrType_ && attrs["tp"].Types[0].DType == "float16")
	check("tps", attrs["tps"].Type == model.AttrTypes && len(attrs["tps"].Types) == 2)
	check("untyped", attrs["untyped"].Type == model.AttrInt && attrs["untyped"].Int == 9)
	if n := m.Graph.Nodes[1]; n.Domain != "com.microsoft" || n.Inputs[1] != "" || m.Graph.Nodes[2].Domain != "" {
		t.Errorf("nodes %+v %+v", n, m.Graph.Nodes[2])
	}
	if s := model.Summarize(m); s.Nodes != 6 || s.Ops["com.microsoft::FusedMatMul"] != 1 || s.Ops["Relu"] != 1 {
		t.Errorf("summary %+v", s)
	}
	inputs := map[string]string{}
	for _, v := range model.Summarize(m).Inputs {
		inputs[v.Name] = string(v.DType) + " " + v.Shape.String()
	}
	for name, want := range map[string]string{
		"seq": "sequence(float32) ?", "map": "map(int64,float32) ?", "opt": "optional(sequence(float32)) ?",
		"sparse_in": "float32 [10,?]", "bf16": "bfloat16 [batch,0,7]", "f8": "float8_e4m3fn ?", "untyped": " ?",
	} {
		if inputs[name] != want {
			t.Errorf("input %s: %q, want %q", name, inputs[name], want)
		}
	}
	enc := map[string]model.Encoding{}
	for _, tn := range m.Graph.Initializers {
		if tn.Location != nil {
			enc[tn.Name] = tn.Location.Encoding
		}
	}
	for name, want := range map[string]model.Encoding{"raw": model.EncRaw, "float_data": model.EncPackedFloat32, "unpacked": model.EncOpaque, "int64_data": model.EncVarint, "strings": model.EncOpaque, "sparse": model.EncRaw} {
		if enc[name] != want {
			t.Errorf("tensor %s: encoding %q, want %q", name, enc[name], want)
		}
	}
	previews := map[string][]float64{"raw": {1.5, -1}, "float_data": {1, 2, 3}, "int64_data": {-5, 7}}
	for _, tn := range m.Graph.Initializers {
		want, ok := previews[tn.Name]
		if !ok {
			continue
		}
		p, err := model.ReadPreview(tn, 10)
		if err != nil || len(p.Values) != len(want) || p.Values[0] != want[0] || p.Values[len(want)-1] != want[len(want)-1] {
			t.Errorf("preview of %s: %+v, %v; want %v", tn.Name, p, err, want)
		}
	}
}
