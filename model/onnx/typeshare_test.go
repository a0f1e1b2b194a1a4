package onnx

import (
	"context"
	"fmt"
	"testing"
)

// TestTypesSharedWhileDecoding checks that value infos whose type
// messages are byte-identical get one decoded type, and others their own,
// before model.ShareTypes runs.
func TestTypesSharedWhileDecoding(t *testing.T) {
	var g []byte
	for _, vi := range [][]byte{
		tensorValueInfo("a", "batch", 4),
		tensorValueInfo("b", "batch", 4),
		tensorValueInfo("c", "batch", 8),
		tensorValueInfo("d", "batch", 4),
	} {
		g = pbBytes(g, graphValueInfo, vi)
	}
	d := newDecoder(context.Background(), bytesSource(g), "/nonexistent/g.onnx")
	got, err := d.graph(0, int64(len(g)))
	if err != nil {
		t.Fatal(err)
	}
	v := got.ValueInfo
	if v[0].Type != v[1].Type || v[0].Type != v[3].Type {
		t.Errorf("equal type messages decoded to different types")
	}
	if v[2].Type == v[0].Type {
		t.Errorf("different type messages share a type")
	}
	for i, want := range []string{"[batch,4]", "[batch,4]", "[batch,8]", "[batch,4]"} {
		if s := fmt.Sprint(v[i].Type.Shape); v[i].Type.DType != "float32" || s != want {
			t.Errorf("value %s: type %s, want %s", v[i].Name, s, want)
		}
	}
}
