package shapeinfer_test

import (
	"context"
	"os"
	"testing"

	"github.com/modelpeek/modelpeek/model/onnx"
)

func TestDebugDump(t *testing.T) {
	p := os.Getenv("DUMP")
	if p == "" {
		t.Skip()
	}
	m, err := onnx.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	vs := values(m)
	for _, n := range m.Graph.Nodes {
		s := n.OpType + " " + n.Name + ":"
		for _, i := range n.Inputs {
			if vs[i] != nil {
				s += " " + i + "=" + string(vs[i].DType) + vs[i].Shape.String()
			} else {
				s += " " + i + "=?"
			}
		}
		s += " ->"
		for _, o := range n.Outputs {
			if vs[o] != nil {
				s += " " + o + "=" + string(vs[o].DType) + vs[o].Shape.String()
			}
		}
		t.Log(s)
	}
}
