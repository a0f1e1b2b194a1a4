package shapeinfer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/onnx"
	"github.com/modelpeek/modelpeek/model/onnx/shapeinfer"
)

const libonnxTestdata = "/usr/share/libonnx-testdata/data"

// TestOutputsMatchTestData checks inferred graph output types of ONNX's
// own test suite against the output tensors its test data sets hold
// (test_data_set_0/output_N.pb, computed by a runtime): every inferred
// known dim must equal the real one. Values the file types itself are
// forgotten first: inference alone must find them.
func TestOutputsMatchTestData(t *testing.T) {
	models, _ := filepath.Glob(filepath.Join(libonnxTestdata, "*", "*", "model.onnx"))
	if len(models) == 0 {
		testenv.Skip(t, "%s not found (install Debian package libonnx-testdata)", libonnxTestdata)
	}
	var outputs, inferred, checked, complete int
	for _, p := range models {
		m, err := onnx.Open(context.Background(), p)
		if err != nil {
			continue // the decoder's own tests cover refusals
		}
		info := inferWithoutOutputs(m, filepath.Join(filepath.Dir(p), "test_data_set_0"))
		for i, v := range m.Graph.Outputs {
			if v.Type != nil && v.Type.Kind == model.KindTensor {
				outputs++
			}
			got := info.Type(v.Name)
			if got == nil || got.Kind != model.KindTensor || got.Shape == nil {
				continue
			}
			inferred++
			ref := filepath.Join(filepath.Dir(p), "test_data_set_0", fmt.Sprintf("output_%d.pb", i))
			if _, err := os.Stat(ref); err != nil {
				continue
			}
			want, err := onnx.Open(context.Background(), ref)
			if err != nil || len(want.Graph.Initializers) != 1 {
				continue
			}
			checked++
			if full(got.Shape) {
				complete++
			}
			if d := mismatch(got, v.Type, want.Graph.Initializers[0]); d != "" {
				t.Errorf("%s output %s: %s", p, v.Name, d)
			}
		}
	}
	t.Logf("%d of %d tensor outputs of %d models inferred, %d checked against test data (%d with every dim known)", inferred, outputs, len(models), checked, complete)
}

// mismatch compares the dtype with the file's declared output type (the
// test data store bfloat16 as uint16) and the dims with the data's.
func mismatch(got, stored *model.Type, want *model.Tensor) string {
	bad := fmt.Sprintf("inferred %s%v, declared %s, data %v", got.DType, got.Shape, model.TypeString(stored), want.Shape)
	if got.DType != "" && stored != nil && got.DType != stored.DType || len(got.Shape) != len(want.Shape) {
		return bad
	}
	for i, d := range got.Shape {
		if d.Known && d.Size != want.Shape[i] {
			return bad
		}
	}
	return ""
}

// inferWithoutOutputs infers the main graph with the graph outputs'
// stored types removed, and the small rank-0 or rank-1 graph inputs of
// the test data set (input_N.pb: shapes, axes, scales, indices) given as
// constants, as an exporter would have stored them.
func inferWithoutOutputs(m *model.Model, data string) *shapeinfer.Info {
	g := *m.Graph
	g.Outputs = nil
	for i, v := range m.Graph.Inputs {
		if t := smallInput(filepath.Join(data, fmt.Sprintf("input_%d.pb", i))); t != nil {
			c := *t
			c.Name = v.Name
			g.Initializers = append(slices.Clone(g.Initializers), &c)
		}
	}
	var opset int64
	for _, o := range m.Opsets {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			opset = o.Version
		}
	}
	return shapeinfer.Infer(context.Background(), &g, shapeinfer.Options{DType: onnx.DType, Opset: opset})
}

// smallInput opens a test data tensor of at most 64 elements and rank 1.
func smallInput(path string) *model.Tensor {
	m, err := onnx.Open(context.Background(), path)
	if err != nil || len(m.Graph.Initializers) != 1 {
		return nil
	}
	t := m.Graph.Initializers[0]
	if n, ok := model.NumElements(t.Shape); !ok || n > 64 || len(t.Shape) > 1 {
		return nil
	}
	return t
}
